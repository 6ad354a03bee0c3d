using System.Diagnostics;

namespace PeerChat.Bench;

/// <summary>Ping-pong: pairs that bounce one message between them through the server, for a fixed time.</summary>
internal static class PingPong
{
    public sealed record Result(string System, string Route, int Pairs, double RoundTripsPerSecond, double P50Ms, double P99Ms);

    public static async Task<Result> RunAsync(ChatSystem system, int pairs, TimeSpan duration)
    {
        var a = new LineConnection[pairs];
        var b = new LineConnection[pairs];
        for (var i = 0; i < pairs; i++)
        {
            a[i] = await system.ConnectReceiverAsync($"pa{i}");
            b[i] = await system.ConnectReceiverAsync($"pb{i}");
        }

        using var stop = new CancellationTokenSource(duration);
        var rtts = new List<long>[pairs];
        var tasks = Enumerable.Range(0, pairs).SelectMany(i => new[]
        {
            // b answers every message it gets.
            Task.Run(async () =>
            {
                var next = false;
                try
                {
                    while (await b[i].ReadLineAsync(stop.Token) is { } line)
                    {
                        if (system.Payload(line, b[i], ref next) is { } payload)
                        {
                            await b[i].WriteAsync(system.DirectFrame($"pa{i}", payload));
                        }
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                }
            }),

            // a sends, waits for the echo, and sends again.
            Task.Run(async () =>
            {
                rtts[i] = [];
                var next = false;
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await a[i].WriteAsync(system.DirectFrame($"pb{i}", $"{started}x"));
                        while (await a[i].ReadLineAsync(stop.Token) is { } line && system.Payload(line, a[i], ref next) is null)
                        {
                        }

                        rtts[i].Add(Stopwatch.GetTimestamp() - started);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException)
                {
                }
            }),
        }).ToList();

        await Task.WhenAll(tasks);
        foreach (var connection in a.Concat(b))
        {
            await connection.DisposeAsync();
        }

        var all = rtts.SelectMany(r => r).Order().ToArray();
        return new Result(system.Name, "relay", pairs, all.Length / duration.TotalSeconds, Latency.Percentile(all, 0.50), Latency.Percentile(all, 0.99));
    }
}
