using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Issue 14's speed (docs/CLUSTER.md, "Speed"): a redis-server of its own and three PeerChat nodes
/// (the "serve" mode with --cluster), each a process of its own so that its CPU is read from /proc,
/// and a plain single server (SQLite store) for reference. Fan-out with the receivers spread over
/// the three nodes against all on one node, and direct-message ping-pong across nodes against on one
/// node; for each, the nodes' and redis-server's CPU per message and the Redis commands per message
/// (INFO commandstats before and after, those inside scripts included).
/// </summary>
internal static class ClusterBench
{
    private static readonly string[] NodeNames = ["node-a", "node-b", "node-c"];

    public static async Task<string> RunAsync(bool quick)
    {
        await using var redis = await RedisProcess.StartAsync();

        // A cluster of one node on a Redis of its own: what an append costs Redis with no other node reading it.
        await using var loneRedis = await RedisProcess.StartAsync();
        var nodes = new List<ChildProcess>();
        try
        {
            var endpoints = new List<IPEndPoint>();
            foreach (var name in NodeNames)
            {
                endpoints.Add(await StartNodeAsync(redis, name, nodes));
            }

            var lone = await StartNodeAsync(loneRedis, "node-alone", nodes);
            var (plain, plainSystem) = await Servers.StartPeerChatAsync();
            using var ownedPlain = plain;
            var pids = nodes.Take(NodeNames.Length).Select(n => n.Pid).ToArray();
            var cluster = new Setups(
                Plain: new Setup(plainSystem, [plain.Pid], null),
                Lone: new Setup(new ClusterSystem("cluster of 1 node", [lone], _ => 0), [nodes[^1].Pid], loneRedis),
                OneNode: new Setup(new ClusterSystem("cluster, all on node-a", endpoints, _ => 0), pids, redis),
                Spread: new Setup(new ClusterSystem("cluster, receivers on 3 nodes", endpoints, user => ClusterSystem.Spread(user, endpoints.Count)), pids, redis),
                Apart: new Setup(new ClusterSystem("cluster, pairs across node-a and node-b", endpoints, ClusterSystem.PairsApart), pids, redis));

            await WarmUpAsync(cluster, quick);
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"### Cluster on Redis (issue 14): 3 nodes and redis-server {RedisVersion()} (appendonly yes, appendfsync always) on this machine; load {File.ReadAllText("/proc/loadavg").Trim()}");
            report.AppendLine();
            report.AppendLine(await FanOutTableAsync(cluster, quick));
            report.AppendLine(await PingPongTableAsync(cluster, quick));
            report.AppendLine(await MemoryAsync(redis));
            return report.ToString();
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    // A node (the serve mode) of the cluster on redis, in a process of its own; its peerchat/1 endpoint.
    private static async Task<IPEndPoint> StartNodeAsync(RedisProcess redis, string name, List<ChildProcess> nodes)
    {
        var node = ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "serve", "20000", "--cluster", redis.Configuration, "--node", name]);
        nodes.Add(node);
        return new IPEndPoint(IPAddress.Loopback, int.Parse((await node.ReadReportAsync("PORT")).Trim(), CultureInfo.InvariantCulture));
    }

    /// <summary>A way to run a workload: the system the clients talk to, the server processes whose CPU counts, and the cluster's Redis (null: none).</summary>
    private sealed record Setup(ChatSystem System, int[] ServerPids, RedisProcess? Redis);

    private sealed record Setups(Setup Plain, Setup Lone, Setup OneNode, Setup Spread, Setup Apart);

    /// <summary>CPU of the servers, of redis-server and of this process, and Redis's calls per command, at one moment.</summary>
    private sealed record Snapshot(TimeSpan Servers, TimeSpan Redis, TimeSpan RedisSystem, TimeSpan Generator, Dictionary<string, (long Calls, long Microseconds)> Stats)
    {
        public long Calls(string command) => Stats.GetValueOrDefault(command).Calls;

        public static Snapshot Take(Setup setup)
        {
            var (user, system) = setup.Redis?.Cpu() ?? default;
            return new(
                setup.ServerPids.Aggregate(TimeSpan.Zero, (sum, pid) => sum + ProcessStats.Cpu(pid)),
                user + system,
                system,
                Process.GetCurrentProcess().TotalProcessorTime,
                setup.Redis is { } r ? r.CommandStatsAsync().GetAwaiter().GetResult() : []);
        }
    }

    /// <summary>
    /// Waits (at most a minute) until Redis has run the appends of <paramref name="messages"/> messages
    /// since <paramref name="before"/>, counted by the HEXISTS each append script does once, and
    /// returns how many were still to run when called. A node delivers to its own sessions while the
    /// append is on its way (the `sent` receipt waits for it, the workloads do not), so at the last
    /// delivery appends may still be queued; their cost belongs to the run.
    /// </summary>
    private static long SettleAppends(Setup setup, Snapshot before, long messages)
    {
        if (setup.Redis is not { } redis)
        {
            return 0;
        }

        long Appended() => redis.CommandStatsAsync().GetAwaiter().GetResult().GetValueOrDefault("hexists").Calls - before.Calls("hexists");
        var behind = messages - Appended();
        var waited = Stopwatch.StartNew();
        while (messages - Appended() > 0 && waited.Elapsed < TimeSpan.FromMinutes(1))
        {
            Thread.Sleep(20);
        }

        return Math.Max(0, behind);
    }

    /// <summary>What a workload cost between two snapshots, per message sent and per million deliveries.</summary>
    private sealed record Cost(TimeSpan Servers, TimeSpan Redis, TimeSpan RedisSystem, TimeSpan Generator, Dictionary<string, (long Calls, long Microseconds)> Stats)
    {
        public static Cost Between(Snapshot before, Snapshot after) => new(
            after.Servers - before.Servers,
            after.Redis - before.Redis,
            after.RedisSystem - before.RedisSystem,
            after.Generator - before.Generator,
            after.Stats.ToDictionary(c => c.Key, c => (c.Value.Calls - before.Stats.GetValueOrDefault(c.Key).Calls, c.Value.Microseconds - before.Stats.GetValueOrDefault(c.Key).Microseconds)));

        public long Scripts => Stats.GetValueOrDefault("evalsha").Calls + Stats.GetValueOrDefault("eval").Calls;

        /// <summary>Every command, those inside scripts included, but retention's (XDEL and HDEL of the oldest entries, which every node runs once a minute).</summary>
        public long CommandsBesideRetention => Stats.Where(c => c.Key is not ("xdel" or "hdel")).Sum(c => c.Value.Calls);

        /// <summary>The time Redis spent in scripts and the commands outside them (commandstats' usec; a script's includes what it calls).</summary>
        public long CommandMicroseconds => Stats.Where(c => c.Key is "evalsha" or "eval" || !InScripts.Contains(c.Key)).Sum(c => c.Value.Microseconds);

        public static string PerMessage(long messages, long count) => messages == 0 ? "-" : (count / (double)messages).ToString("0.00", CultureInfo.InvariantCulture);

        /// <summary>Each command's calls and µs per message, most first; what is under 0.01 calls left out.</summary>
        public string Breakdown(long messages) => string.Join(", ", Stats
            .Where(c => c.Value.Calls >= messages / 100.0)
            .OrderByDescending(c => c.Value.Calls)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value.Calls / (double)messages:0.00} ({c.Value.Microseconds / (double)messages:0.0} µs)")));

        /// <summary>Redis's CPU per message: all of it, the system part, and that in commands and scripts (the rest: the event loop, sockets, the AOF).</summary>
        public string RedisPerMessage(long messages) => string.Create(CultureInfo.InvariantCulture,
            $"{Redis.TotalMicroseconds / messages:0.0} / {RedisSystem.TotalMicroseconds / messages:0.0} / {CommandMicroseconds / (double)messages:0.0}");

        // The commands the workloads' scripts run (their time is in the script's): the others are called by themselves.
        private static readonly HashSet<string> InScripts = new(StringComparer.Ordinal) { "xadd", "xrange", "xrevrange", "xdel", "xlen", "xinfo|stream", "hset", "hget", "hdel", "hexists", "hvals", "sadd", "srem", "smembers", "publish", "set", "del", "exists" };
    }

    // The same warm-up for every setup, unreported: the nodes' code is compiled just in time (see ThroughputAsync).
    private static async Task WarmUpAsync(Setups setups, bool quick)
    {
        foreach (var setup in new[] { setups.Plain, setups.Lone, setups.OneNode, setups.Spread })
        {
            for (var round = 0; round < 3; round++)
            {
                await FanOut.RunAsync(setup.System, 50, quick ? 2_000 : 10_000, window: 200);
            }

            await Servers.WaitForDisconnectsAsync();
        }

        foreach (var setup in new[] { setups.Plain, setups.Lone, setups.OneNode, setups.Apart })
        {
            await PingPong.RunAsync(setup.System, 50, TimeSpan.FromSeconds(quick ? 1 : 2));
            await Servers.WaitForDisconnectsAsync();
        }
    }

    private static async Task<string> FanOutTableAsync(Setups setups, bool quick)
    {
        var table = new StringBuilder();
        var breakdowns = new StringBuilder();
        table.AppendLine("#### Fan-out (one sender on node-a broadcasts 64-byte messages, 200 in flight; CPU and Redis counted from the first message to the last delivery and the last append)");
        table.AppendLine();
        table.AppendLine("| receivers | setup | messages | deliveries/s | p50 ms | p99 ms | lost | server CPU s per M deliveries | redis-server CPU s per M deliveries | redis-server CPU µs per message: all / system / in commands | Redis scripts per message | Redis commands per message (beside retention) | appends queued at the last delivery | generator CPU s |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var receivers in quick ? [50, 500] : new[] { 50, 500, 2000 })
        {
            // Enough messages at every size for CPU times well above /proc's 10 ms ticks.
            var messages = quick ? Math.Max(1_000, 100_000 / receivers) : Math.Max(2_000, 1_000_000 / receivers);
            foreach (var setup in new[] { setups.Plain, setups.Lone, setups.OneNode, setups.Spread })
            {
                Snapshot? before = null, after = null;
                long behind = 0;
                var r = await FanOut.RunAsync(setup.System, receivers, messages, window: 200, connected: () => before = Snapshot.Take(setup), allDelivered: () =>
                {
                    behind = SettleAppends(setup, before!, messages);
                    after = Snapshot.Take(setup);
                });
                var cost = Cost.Between(before!, after!);
                var deliveries = (double)(r.Receivers * (long)r.Messages - r.Lost);
                var redisColumns = setup.Redis is null
                    ? "- | - | - | - | -"
                    : string.Create(CultureInfo.InvariantCulture, $"{cost.Redis.TotalSeconds * 1e6 / deliveries:0.00} | {cost.RedisPerMessage(messages)} | {Cost.PerMessage(messages, cost.Scripts)} | {Cost.PerMessage(messages, cost.CommandsBesideRetention)} | {behind}");
                table.AppendLine(CultureInfo.InvariantCulture, $"| {receivers} | {r.System} | {messages:N0} | {r.DeliveriesPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {r.Lost} | {cost.Servers.TotalSeconds * 1e6 / deliveries:0.00} | {redisColumns} | {cost.Generator.TotalSeconds:0.0} |");
                if (setup.Redis is not null)
                {
                    breakdowns.AppendLine(CultureInfo.InvariantCulture, $"- {receivers} receivers, {r.System}: {cost.Breakdown(messages)}");
                }

                await Servers.WaitForDisconnectsAsync();
            }
        }

        table.AppendLine();
        table.AppendLine("Redis commands per message, by command, with their µs per message (INFO commandstats; those a script runs counted too, their time also in the script's):");
        table.AppendLine();
        table.Append(breakdowns);
        return table.ToString();
    }

    private static async Task<string> PingPongTableAsync(Setups setups, bool quick)
    {
        var duration = TimeSpan.FromSeconds(quick ? 2 : 5);
        var table = new StringBuilder();
        var breakdowns = new StringBuilder();
        table.AppendLine("#### Direct-message ping-pong (relay: `send` to the partner, `sent` receipt per send; each round trip is 2 messages; counted over the whole run and until Redis ran every append, logins included)");
        table.AppendLine();
        table.AppendLine("| pairs | setup | round trips/s | RTT p50 ms | RTT p99 ms | server CPU s per M messages | redis-server CPU s per M messages | redis-server CPU µs per message: all / system / in commands | Redis scripts per message | Redis commands per message (beside retention) | appends queued at the end |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var pairs in new[] { 50, 1 })
        {
            foreach (var setup in new[] { setups.Plain, setups.Lone, setups.OneNode, setups.Apart })
            {
                var before = Snapshot.Take(setup);
                var r = await PingPong.RunAsync(setup.System, pairs, duration);
                var messages = (long)(r.RoundTripsPerSecond * duration.TotalSeconds * 2);
                var behind = SettleAppends(setup, before, messages);
                var cost = Cost.Between(before, Snapshot.Take(setup));
                var redisColumns = setup.Redis is null
                    ? "- | - | - | - | -"
                    : string.Create(CultureInfo.InvariantCulture, $"{cost.Redis.TotalSeconds * 1e6 / messages:0.00} | {cost.RedisPerMessage(messages)} | {Cost.PerMessage(messages, cost.Scripts)} | {Cost.PerMessage(messages, cost.CommandsBesideRetention)} | {behind}");
                table.AppendLine(CultureInfo.InvariantCulture, $"| {pairs} | {r.System} | {r.RoundTripsPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {cost.Servers.TotalSeconds * 1e6 / messages:0.00} | {redisColumns} |");
                if (setup.Redis is not null)
                {
                    breakdowns.AppendLine(CultureInfo.InvariantCulture, $"- {pairs} pairs, {r.System}: {cost.Breakdown(messages)}");
                }

                await Servers.WaitForDisconnectsAsync();
            }
        }

        table.AppendLine();
        table.AppendLine("Redis commands per message, by command, with their µs per message:");
        table.AppendLine();
        table.Append(breakdowns);
        return table.ToString();
    }

    // What one message takes in Redis memory, from the keys the runs filled: the broadcast stream and its id index, and the bus.
    private static async Task<string> MemoryAsync(RedisProcess redis)
    {
        var text = new StringBuilder();
        text.AppendLine("#### Redis memory per entry (MEMORY USAGE ... SAMPLES 0 over the key's length, after the runs)");
        text.AppendLine();
        text.AppendLine("| key | what | entries | bytes | bytes per entry |");
        text.AppendLine("|---|---|---:|---:|---:|");
        foreach (var (key, what) in new[] { ("pc:c:*", "the broadcast conversation's stream"), ("pc:ci:*", "its message id → entry id hash"), ("pc:bus", "the cluster bus") })
        {
            var (bytes, entries) = await redis.KeyUsageAsync(key);
            text.AppendLine(CultureInfo.InvariantCulture, $"| `{key}` | {what} | {entries:N0} | {bytes:N0} | {(entries == 0 ? 0 : bytes / (double)entries):0} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"used_memory after the runs: {await redis.UsedMemoryAsync() / 1048576.0:0.0} MiB.");
        return text.ToString();
    }

    private static string RedisVersion()
    {
        using var version = Process.Start(new ProcessStartInfo("redis-server", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var line = version.StandardOutput.ReadToEnd();
        version.WaitForExit();
        var at = line.IndexOf("v=", StringComparison.Ordinal);
        return at < 0 ? "?" : line[(at + 2)..line.IndexOf(' ', at)];
    }
}
