using System.Diagnostics;
using System.Net;

namespace PeerChat.Bench;

/// <summary>
/// Logins at the default HashIterations while a logged-in client pings: how much a storm of
/// password hashes delays everyone else's requests.
/// </summary>
internal static class LoginStorm
{
    public sealed record Result(int Loginers, double LoginsPerSecond, int Pings, double PingP50Ms, double PingP99Ms, double PingMaxMs);

    public static async Task<Result> RunAsync(IPEndPoint server, int loginers, TimeSpan duration)
    {
        var system = new PeerChatSystem { Server = server };
        await using var pinger = await system.ConnectReceiverAsync("sender");
        using var stop = new CancellationTokenSource(duration);
        var logins = 0;
        var storm = Enumerable.Range(0, loginers).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var connection = await system.ConnectReceiverAsync($"r{i}");
                Interlocked.Increment(ref logins);
            }
        })).ToList();

        var rtts = new List<long>();
        var started = Stopwatch.GetTimestamp();
        for (var id = 1; !stop.IsCancellationRequested; id++)
        {
            var sent = Stopwatch.GetTimestamp();
            await pinger.WriteAsync($"{{\"type\":\"ping\",\"id\":{id}}}\n");
            await pinger.ReadUntilAsync($"\"re\":{id}");
            rtts.Add(Stopwatch.GetTimestamp() - sent);

            // A ping every 10 ms: a chat client's pace, not a load of its own.
            await Task.Delay(10);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await Task.WhenAll(storm);
        var sorted = rtts.Order().ToArray();
        return new Result(loginers, logins / elapsed.TotalSeconds, sorted.Length, Latency.Percentile(sorted, 0.5), Latency.Percentile(sorted, 0.99), Latency.Percentile(sorted, 1.0));
    }
}
