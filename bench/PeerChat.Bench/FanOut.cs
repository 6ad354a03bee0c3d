using System.Diagnostics;
using System.Globalization;

namespace PeerChat.Bench;

/// <summary>
/// Fan-out: N receivers, one sender, 64-byte messages with at most <c>window</c> not yet delivered to
/// everyone. Measures deliveries per second and delivery latency (sender and receivers share this
/// process's clock), and counts what never arrived.
/// </summary>
internal static class FanOut
{
    public sealed record Result(string System, int Receivers, int Messages, double DeliveriesPerSecond, double P50Ms, double P99Ms, long Lost, double Seconds);

    /// <param name="connected">Called once everyone is connected, before the first message: on IRC the JOINs cost the
    /// server more than the messages do at 2,000 receivers, and a caller can leave them out of what it measures.</param>
    /// <param name="allDelivered">Called once every message arrived (or the wait gave up), before the connections close:
    /// in a cluster each logout is a Redis script, which a caller counting Redis commands per message leaves out.</param>
    public static async Task<Result> RunAsync(ChatSystem system, int receivers, int messages, int window, Action? connected = null, Action? allDelivered = null)
    {
        var deliveredPerMessage = new int[messages];
        var credits = new SemaphoreSlim(window, window);
        var latencies = new long[receivers][];
        var received = new int[receivers];
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = (long)receivers * messages;
        using var stop = new CancellationTokenSource();

        // Each receiver reads from the moment it is connected: on IRC every JOIN is told to everyone
        // already in the channel, and 2,000 receivers that did not read would be cut off for it.
        async Task ReadAsync(LineConnection connection, int r)
        {
            latencies[r] = new long[messages];
            try
            {
                while (await system.ReceiveAsync(connection, stop.Token) is { } payload)
                {
                    var colon = payload.IndexOf(':');
                    var seq = int.Parse(payload.AsSpan(0, colon), CultureInfo.InvariantCulture);
                    var sentAt = long.Parse(payload.AsSpan(colon + 1, payload.IndexOf('x') - colon - 1), CultureInfo.InvariantCulture);
                    latencies[r][received[r]++] = Stopwatch.GetTimestamp() - sentAt;
                    if (Interlocked.Increment(ref deliveredPerMessage[seq]) == receivers)
                    {
                        credits.Release();
                    }

                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        allDone.TrySetResult();
                    }
                }
            }
            catch (Exception ex) when (EndsTheRun(ex))
            {
            }
        }

        var connections = new List<LineConnection>();
        var readers = new List<Task>();
        for (var i = 0; i < receivers; i += 50)
        {
            var batch = await Task.WhenAll(Enumerable.Range(i, Math.Min(50, receivers - i)).Select(n => system.ConnectReceiverAsync($"r{n}")));
            foreach (var connection in batch)
            {
                var r = connections.Count;
                connections.Add(connection);
                readers.Add(Task.Run(() => ReadAsync(connection, r)));
            }
        }

        var sender = await system.ConnectSenderAsync("sender");

        // The sender's own replies are read and dropped, so that its queue never fills.
        readers.Add(Task.Run(async () =>
        {
            try
            {
                while (await system.ReceiveAsync(sender, stop.Token) is not null)
                {
                }
            }
            catch (Exception ex) when (EndsTheRun(ex))
            {
            }
        }));

        connected?.Invoke();
        var started = Stopwatch.GetTimestamp();
        for (var seq = 0; seq < messages; seq++)
        {
            await credits.WaitAsync();
            var payload = $"{seq}:{Stopwatch.GetTimestamp()}";
            await sender.WriteAsync(system.PublishFrame(payload.PadRight(64, 'x')));
        }

        await Task.WhenAny(allDone.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        var elapsed = Stopwatch.GetElapsedTime(started);
        allDelivered?.Invoke();
        await stop.CancelAsync();
        foreach (var connection in connections.Append(sender))
        {
            await connection.DisposeAsync();
        }

        await Task.WhenAll(readers);
        var all = latencies.SelectMany((l, r) => l.Take(received[r])).Order().ToArray();
        var delivered = received.Sum(n => (long)n);
        return new Result(system.Name, receivers, messages, delivered / elapsed.TotalSeconds, Latency.Percentile(all, 0.50), Latency.Percentile(all, 0.99), ((long)receivers * messages) - delivered, elapsed.TotalSeconds);
    }

    // The run ends by cancelling the reads and closing the connections; a read that was not yet
    // waiting when the token was cancelled finds its stream disposed, and a server may cut a client (IOException).
    private static bool EndsTheRun(Exception ex) => ex is OperationCanceledException or IOException or ObjectDisposedException;
}
