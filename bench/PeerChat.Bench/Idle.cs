using System.Diagnostics;
using System.Globalization;

namespace PeerChat.Bench;

/// <summary>
/// Idle: many clients connect and log in (subscribe), then hold still while the server's memory is read.
/// A fresh server's RSS grows by one-time costs over its first logins (code pages first touched, code
/// compiled just in time, the allocator arenas of threads added in the rush: about 12 MB for PeerChat),
/// which would be charged to the connections. So each run reads the fresh server's RSS, lets a
/// warm-up of 1,000 clients connect, log in and leave, waits until the server holds none of them, and
/// reads RSS again before the measured clients come; both differences are reported.
/// </summary>
internal static class Idle
{
    /// <summary>serve creates accounts idle0..idle19999; the rows use idle0..idle18999, the warm-up the rest.</summary>
    private const int WarmUpFirst = 19_000;

    private const int WarmUpClients = 1_000;

    /// <summary>Each generator process holds at most this many connections (its open-files limit is 20,000).</summary>
    private const int PerWorker = 9_500;

    /// <summary>
    /// One run on a fresh server: its RSS as started, after the warm-up, with the clients connected,
    /// and once more after PeerChat's live-heap reading (a full collection; for the peers, which have
    /// no collector, simply read again).
    /// </summary>
    public sealed record Run(int Clients, double ConnectionsPerSecond, long FreshRss, long WarmRss, long AfterRss, long CollectedRss, long? HeapPerConnection)
    {
        public long PerConnectionFromFresh => (AfterRss - FreshRss) / Clients;

        public long PerConnectionAfterWarmUp => (AfterRss - WarmRss) / Clients;

        /// <summary>
        /// Both readings after a full collection for PeerChat. The reading right after the logins
        /// also holds the garbage allocated since the collector last ran, up to its gen0 budget (a
        /// few MB whatever the count of clients); this one leaves that out on both sides.
        /// </summary>
        public long PerConnectionCollected => (CollectedRss - WarmRss) / Clients;
    }

    /// <summary>
    /// Connects <paramref name="count"/> clients from this process (an idle-worker), <paramref name="parallel"/>
    /// at a time, client i through <paramref name="systemFor"/>(i) (IRC: the channel it joins).
    /// </summary>
    public static async Task<(List<LineConnection> Connections, TimeSpan Elapsed)> ConnectAsync(Func<int, ChatSystem> systemFor, int first, int count, int parallel = 64)
    {
        var connections = new List<LineConnection>(count);
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(first, count), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
        {
            var connection = await systemFor(i).ConnectReceiverAsync($"idle{i}");
            lock (connections)
            {
                connections.Add(connection);
            }
        });
        return (connections, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>One run against <paramref name="server"/>, which has held no client before.</summary>
    public static async Task<Run> MeasureAsync(ChildProcess server, ChatSystem system, int clients)
    {
        var pid = server.Pid;
        var fresh = ProcessStats.Memory(pid).Rss;
        using (var warmUp = StartWorker(system, WarmUpFirst, WarmUpClients))
        {
            await warmUp.ReadReportAsync("READY", TimeSpan.FromMinutes(2));
        }

        await WaitUntilServerHoldsNoneAsync(server, system);

        // PeerChat's live heap is read with a full collection, which also frees the warm-up's garbage
        // and gives memory back: so it comes before the RSS reading, never between the two (where it
        // once made the growth negative). The reading with the clients has had no forced collection.
        var heapBefore = system is PeerChatSystem ? await HeapAsync(server) : 0;
        var before = ProcessStats.Memory(pid).Rss;
        var workers = Enumerable.Range(0, (clients + PerWorker - 1) / PerWorker)
            .Select(w => StartWorker(system, w * PerWorker, Math.Min(PerWorker, clients - (w * PerWorker))))
            .ToList();
        try
        {
            var started = Stopwatch.GetTimestamp();
            foreach (var worker in workers)
            {
                await worker.ReadReportAsync("READY", TimeSpan.FromMinutes(5));
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var after = ProcessStats.Memory(pid).Rss;
            long? heap = system is PeerChatSystem ? (await HeapAsync(server) - heapBefore) / clients : null;
            var collected = ProcessStats.Memory(pid).Rss;
            return new Run(clients, clients / elapsed.TotalSeconds, fresh, before, after, collected, heap);
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    /// <summary>The idle-worker's name for the protocol <paramref name="system"/> speaks.</summary>
    public static string WorkerProtocol(ChatSystem system) => system switch
    {
        NatsSystem => "nats",
        IrcSystem => "irc",
        MqttSystem => "mqtt",
        _ => "peerchat",
    };

    private static ChildProcess StartWorker(ChatSystem system, int first, int count) =>
        ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "idle-worker", WorkerProtocol(system), system.Server.Port.ToString(CultureInfo.InvariantCulture), first.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture)]);

    private static async Task<long> HeapAsync(ChildProcess server) => long.Parse(await server.AskAsync("heap", "HEAP "), CultureInfo.InvariantCulture);

    /// <summary>
    /// Polls until the server holds none of the warm-up's connections, for at most 30 s: PeerChat's
    /// own count (serve's "connections"); for the others, their sockets in the kernel's TCP table.
    /// </summary>
    private static async Task WaitUntilServerHoldsNoneAsync(ChildProcess server, ChatSystem system)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var held = system is PeerChatSystem
                ? int.Parse(await server.AskAsync("connections", "CONNECTIONS "), CultureInfo.InvariantCulture)
                : TcpTable.ServerSockets(system.Server.Port);
            if (held == 0)
            {
                return;
            }

            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException($"{system.Name} still held {held} of the warm-up's connections after 30 s.");
            }

            await Task.Delay(100);
        }
    }
}
