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

    // The answer to a login that waited longer than HashQueueTimeout for a hashing slot.
    private const string HashingBusy = "busy hashing passwords";

    public static async Task<Result> RunAsync(IPEndPoint server, int loginers, TimeSpan duration)
    {
        var system = new PeerChatSystem { Server = server };
        await using var pinger = await system.ConnectReceiverAsync("sender");

        // The accounts first, each signed up alone: the storm is then logins that succeed or are told
        // to come back, and no failed login counts against the address's login throttle.
        await Task.WhenAll(Enumerable.Range(0, loginers).Select(i => SignUpAsync(system, $"r{i}")));
        using var stop = new CancellationTokenSource(duration);
        var logins = 0;
        var throttled = 0;
        var storm = Enumerable.Range(0, loginers).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (connection, answer) = await system.TryLoginAsync($"r{i}", signUp: false);
                if (connection is not null)
                {
                    await connection.DisposeAsync();

                    // Counted within the timed part only: logins still waiting for a hash at the stop finish after it.
                    if (!stop.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref logins);
                    }

                    continue;
                }

                // More logins than the hashing slots get through in HashQueueTimeout are told to come
                // back (by design since the security round): a client waits as told and tries again.
                if (!answer.Contains(HashingBusy, StringComparison.Ordinal) || RetryAfter(answer) is not { } wait)
                {
                    throw new InvalidOperationException($"Login of r{i} failed: {answer}");
                }

                Interlocked.Increment(ref throttled);
                try
                {
                    await Task.Delay(wait, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
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
            var answer = await system.SignUpAsync(name);
            if (answer.Contains("\"type\":\"ok\"", StringComparison.Ordinal) || answer.Contains("\"user_exists\"", StringComparison.Ordinal))
            {
                return;
            }

            if (attempt == 20 || RetryAfter(answer) is not { } wait)
            {
                throw new InvalidOperationException($"Sign-up of {name} failed (attempt {attempt}): {answer}");
            }

            await Task.Delay(wait);
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
