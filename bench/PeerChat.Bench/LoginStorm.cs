using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace PeerChat.Bench;

/// <summary>
/// Logins at the default HashIterations while a logged-in client pings: how much a storm of
/// password hashes delays everyone else's requests.
/// </summary>
internal static class LoginStorm
{
    public sealed record Result(int Loginers, double LoginsPerSecond, int Throttled, int Pings, double PingP50Ms, double PingP99Ms, double PingMaxMs);

    public static async Task<Result> RunAsync(IPEndPoint server, int loginers, TimeSpan duration)
    {
        var system = new PeerChatSystem { Server = server };
        await using var pinger = await system.ConnectReceiverAsync("sender");

        // The accounts first, so that the storm is logins alone: a sign-up told to come back
        // leaves no account, and the login after it in the same attempt is refused.
        await Task.WhenAll(Enumerable.Range(0, loginers).Select(i => SignUpAsync(system, $"r{i}")));
        using var stop = new CancellationTokenSource(duration);
        var logins = 0;
        var throttled = 0;
        var storm = Enumerable.Range(0, loginers).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (connection, answer) = await system.TryLoginAsync($"r{i}");
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                    Interlocked.Increment(ref logins);
                    continue;
                }

                // More logins than the hashing slots get through in HashQueueTimeout are told to come
                // back (by design since the security round): a client waits as told and tries again.
                if (RetryAfter(answer) is not { } wait)
                {
                    throw new InvalidOperationException($"Login of r{i} failed: {answer}");
                }

                Interlocked.Increment(ref throttled);
                await Task.Delay(wait);
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
        return new Result(loginers, logins / elapsed.TotalSeconds, throttled, sorted.Length, Latency.Percentile(sorted, 0.5), Latency.Percentile(sorted, 0.99), Latency.Percentile(sorted, 1.0));
    }

    private static async Task SignUpAsync(PeerChatSystem system, string name)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (connection, answer) = await system.TryLoginAsync(name);
            if (connection is not null)
            {
                await connection.DisposeAsync();
                return;
            }

            if (attempt == 20)
            {
                throw new InvalidOperationException($"Sign-up of {name} failed 20 times: {answer}");
            }

            await Task.Delay(RetryAfter(answer) ?? TimeSpan.FromSeconds(1));
        }
    }

    // The wait a `throttled` answer asks for (its retryAfterMs), or null for any other answer.
    private static TimeSpan? RetryAfter(string answer)
    {
        using var frame = JsonDocument.Parse(answer);
        var root = frame.RootElement;
        return root.TryGetProperty("code", out var code) && code.GetString() == "throttled" && root.TryGetProperty("retryAfterMs", out var after)
            ? TimeSpan.FromMilliseconds(after.GetInt64())
            : null;
    }
}
