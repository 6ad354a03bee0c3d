using System.Diagnostics;
using System.Globalization;

namespace PeerChat.Bench;

/// <summary>Idle: many clients connect and log in (subscribe), then hold still while the server's memory is read.</summary>
internal static class Idle
{
    public sealed record Result(string System, int Clients, double ConnectionsPerSecond, long BytesPerConnection, long ServerRss);

    /// <summary>Connects <paramref name="count"/> clients from this process, <paramref name="parallel"/> at a time.</summary>
    public static async Task<(List<LineConnection> Connections, TimeSpan Elapsed)> ConnectAsync(ChatSystem system, int first, int count, int parallel = 64)
    {
        var connections = new List<LineConnection>(count);
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(first, count), new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (i, _) =>
        {
            var connection = await system.ConnectReceiverAsync($"idle{i}");
            lock (connections)
            {
                connections.Add(connection);
            }
        });
        return (connections, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Idle: N clients connect and log in (subscribe) from generator processes of at most 9,500
    /// connections each, against a server that has held nothing before, so that its RSS growth is theirs.
    /// </summary>
    public static async Task<string> MeasureRowAsync(ChildProcess server, ChatSystem system, int clients)
    {
        var pid = server.Pid;
        var before = ProcessStats.Memory(pid).Rss;
        var heapBefore = system is PeerChatSystem ? await server.AskAsync("heap", "HEAP ") : null;
        const int perWorker = 9_500;
        var workers = Enumerable.Range(0, (clients + perWorker - 1) / perWorker)
            .Select(w => ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "idle-worker", system is NatsSystem ? "nats" : "peerchat", system.Server.Port.ToString(CultureInfo.InvariantCulture), (w * perWorker).ToString(CultureInfo.InvariantCulture), Math.Min(perWorker, clients - (w * perWorker)).ToString(CultureInfo.InvariantCulture)]))
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
            var heap = heapBefore is null ? "—" : ((long.Parse(await server.AskAsync("heap", "HEAP "), CultureInfo.InvariantCulture) - long.Parse(heapBefore, CultureInfo.InvariantCulture)) / clients).ToString("N0", CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"| {clients} | {system.Name} | {clients / elapsed.TotalSeconds:N0} | {before / 1048576.0:0.0} | {after / 1048576.0:0.0} | {(after - before) / clients:N0} | {heap} |");
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }
}
