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
        var nodes = new List<ChildProcess>();
        try
        {
            var endpoints = new List<IPEndPoint>();
            foreach (var name in NodeNames)
            {
                var node = ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "serve", "20000", "--cluster", redis.Configuration, "--node", name]);
                nodes.Add(node);
                endpoints.Add(new IPEndPoint(IPAddress.Loopback, int.Parse((await node.ReadReportAsync("PORT")).Trim(), CultureInfo.InvariantCulture)));
            }

            var (plain, plainSystem) = await Servers.StartPeerChatAsync();
            using var ownedPlain = plain;
            var cluster = new Setups(
                Plain: new Setup(plainSystem, [plain.Pid], null),
                OneNode: new Setup(new ClusterSystem("cluster, all on node-a", endpoints, _ => 0), nodes.Select(n => n.Pid).ToArray(), redis),
                Spread: new Setup(new ClusterSystem("cluster, receivers on 3 nodes", endpoints, user => ClusterSystem.Spread(user, endpoints.Count)), nodes.Select(n => n.Pid).ToArray(), redis),
                Apart: new Setup(new ClusterSystem("cluster, pairs across node-a and node-b", endpoints, ClusterSystem.PairsApart), nodes.Select(n => n.Pid).ToArray(), redis));

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

    /// <summary>A way to run a workload: the system the clients talk to, the server processes whose CPU counts, and the cluster's Redis (null: none).</summary>
    private sealed record Setup(ChatSystem System, int[] ServerPids, RedisProcess? Redis);

    private sealed record Setups(Setup Plain, Setup OneNode, Setup Spread, Setup Apart);

    /// <summary>CPU of the servers, of redis-server and of this process, and Redis's calls per command, at one moment.</summary>
    private sealed record Snapshot(TimeSpan Servers, TimeSpan Redis, TimeSpan Generator, Dictionary<string, long> Calls)
    {
        public static Snapshot Take(Setup setup) => new(
            setup.ServerPids.Aggregate(TimeSpan.Zero, (sum, pid) => sum + ProcessStats.Cpu(pid)),
            setup.Redis is { } redis ? ProcessStats.Cpu(redis.Pid) : TimeSpan.Zero,
            Process.GetCurrentProcess().TotalProcessorTime,
            setup.Redis is { } r ? r.CommandCallsAsync().GetAwaiter().GetResult() : []);
    }

    /// <summary>What a workload cost between two snapshots, per message sent and per million deliveries.</summary>
    private sealed record Cost(TimeSpan Servers, TimeSpan Redis, TimeSpan Generator, Dictionary<string, long> Calls)
    {
        public static Cost Between(Snapshot before, Snapshot after) => new(
            after.Servers - before.Servers,
            after.Redis - before.Redis,
            after.Generator - before.Generator,
            after.Calls.ToDictionary(c => c.Key, c => c.Value - before.Calls.GetValueOrDefault(c.Key)));

        public long Scripts => Calls.GetValueOrDefault("evalsha") + Calls.GetValueOrDefault("eval");

        public long AllCommands => Calls.Values.Sum();

        public static string PerMessage(long messages, long count) => messages == 0 ? "-" : (count / (double)messages).ToString("0.00", CultureInfo.InvariantCulture);

        /// <summary>Each command's calls per message, most first; what is under 0.01 left out.</summary>
        public string Breakdown(long messages) => string.Join(", ", Calls
            .Where(c => c.Value >= messages / 100.0)
            .OrderByDescending(c => c.Value)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value / (double)messages:0.00}")));
    }

    // The same warm-up for every setup, unreported: the nodes' code is compiled just in time (see ThroughputAsync).
    private static async Task WarmUpAsync(Setups setups, bool quick)
    {
        foreach (var setup in new[] { setups.Plain, setups.OneNode, setups.Spread })
        {
            for (var round = 0; round < 3; round++)
            {
                await FanOut.RunAsync(setup.System, 50, quick ? 2_000 : 10_000, window: 200);
            }

            await Servers.WaitForDisconnectsAsync();
        }

        foreach (var setup in new[] { setups.Plain, setups.OneNode, setups.Apart })
        {
            await PingPong.RunAsync(setup.System, 50, TimeSpan.FromSeconds(quick ? 1 : 2));
            await Servers.WaitForDisconnectsAsync();
        }
    }

    private static async Task<string> FanOutTableAsync(Setups setups, bool quick)
    {
        var table = new StringBuilder();
        var breakdowns = new StringBuilder();
        table.AppendLine("#### Fan-out (one sender on node-a broadcasts 64-byte messages, 200 in flight; CPU and Redis counted from the first message to the last delivery)");
        table.AppendLine();
        table.AppendLine("| receivers | setup | messages | deliveries/s | p50 ms | p99 ms | lost | server CPU s per M deliveries | redis-server CPU s per M deliveries | redis-server CPU µs per message | Redis scripts per message | Redis commands per message | generator CPU s |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var receivers in quick ? [50, 500] : new[] { 50, 500, 2000 })
        {
            var messages = Math.Max(200, (quick ? 100_000 : 500_000) / receivers);
            foreach (var setup in new[] { setups.Plain, setups.OneNode, setups.Spread })
            {
                Snapshot? before = null, after = null;
                var r = await FanOut.RunAsync(setup.System, receivers, messages, window: 200, connected: () => before = Snapshot.Take(setup), allDelivered: () => after = Snapshot.Take(setup));
                var cost = Cost.Between(before!, after!);
                var deliveries = (double)(r.Receivers * (long)r.Messages - r.Lost);
                var redisColumns = setup.Redis is null
                    ? "- | - | - | -"
                    : string.Create(CultureInfo.InvariantCulture, $"{cost.Redis.TotalSeconds * 1e6 / deliveries:0.00} | {cost.Redis.TotalMicroseconds / messages:0.0} | {Cost.PerMessage(messages, cost.Scripts)} | {Cost.PerMessage(messages, cost.AllCommands)}");
                table.AppendLine(CultureInfo.InvariantCulture, $"| {receivers} | {r.System} | {messages:N0} | {r.DeliveriesPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {r.Lost} | {cost.Servers.TotalSeconds * 1e6 / deliveries:0.00} | {redisColumns} | {cost.Generator.TotalSeconds:0.0} |");
                if (setup.Redis is not null)
                {
                    breakdowns.AppendLine(CultureInfo.InvariantCulture, $"- {receivers} receivers, {r.System}: {cost.Breakdown(messages)}");
                }

                await Servers.WaitForDisconnectsAsync();
            }
        }

        table.AppendLine();
        table.AppendLine("Redis commands per message, by command (INFO commandstats; those a script runs counted too):");
        table.AppendLine();
        table.Append(breakdowns);
        return table.ToString();
    }

    private static async Task<string> PingPongTableAsync(Setups setups, bool quick)
    {
        var duration = TimeSpan.FromSeconds(quick ? 2 : 5);
        var table = new StringBuilder();
        var breakdowns = new StringBuilder();
        table.AppendLine("#### Direct-message ping-pong (relay: `send` to the partner, `sent` receipt per send; each round trip is 2 messages; counted over the whole run, logins included)");
        table.AppendLine();
        table.AppendLine("| pairs | setup | round trips/s | RTT p50 ms | RTT p99 ms | server CPU s per M messages | redis-server CPU s per M messages | Redis scripts per message | Redis commands per message |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var pairs in new[] { 50, 1 })
        {
            foreach (var setup in new[] { setups.Plain, setups.OneNode, setups.Apart })
            {
                var before = Snapshot.Take(setup);
                var r = await PingPong.RunAsync(setup.System, pairs, duration);
                var cost = Cost.Between(before, Snapshot.Take(setup));
                var messages = (long)(r.RoundTripsPerSecond * duration.TotalSeconds * 2);
                var redisColumns = setup.Redis is null
                    ? "- | - | -"
                    : string.Create(CultureInfo.InvariantCulture, $"{cost.Redis.TotalSeconds * 1e6 / messages:0.00} | {Cost.PerMessage(messages, cost.Scripts)} | {Cost.PerMessage(messages, cost.AllCommands)}");
                table.AppendLine(CultureInfo.InvariantCulture, $"| {pairs} | {r.System} | {r.RoundTripsPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {cost.Servers.TotalSeconds * 1e6 / messages:0.00} | {redisColumns} |");
                if (setup.Redis is not null)
                {
                    breakdowns.AppendLine(CultureInfo.InvariantCulture, $"- {pairs} pairs, {r.System}: {cost.Breakdown(messages)}");
                }

                await Servers.WaitForDisconnectsAsync();
            }
        }

        table.AppendLine();
        table.AppendLine("Redis commands per message, by command:");
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
