using System.Diagnostics;

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
}
