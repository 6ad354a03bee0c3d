using System.Diagnostics;
using PeerChat.Core.Client;

namespace PeerChat.Bench;

/// <summary>
/// Ping-pong: pairs that bounce one message between them for a fixed time. One loop for every
/// route; what carries the messages (raw protocol lines through a server, or PeerChat's client
/// library over the direct route) is an <see cref="IPingPongEnd"/>.
/// </summary>
internal static class PingPong
{
    public sealed record Result(string System, string Route, int Pairs, double RoundTripsPerSecond, double P50Ms, double P99Ms);

    /// <summary>Relay ping-pong through the server of a system (PeerChat, NATS, IRC, MQTT), over its raw protocol.</summary>
    public static Task<Result> RunAsync(ChatSystem system, int pairs, TimeSpan duration) =>
        RunAsync(system.Name, "relay", pairs, duration, async i =>
            (new RelayEnd(system, await system.ConnectReceiverAsync($"pa{i}"), $"pb{i}"),
             new RelayEnd(system, await system.ConnectReceiverAsync($"pb{i}"), $"pa{i}")));

    public static async Task<Result> RunAsync(string system, string route, int pairs, TimeSpan duration, Func<int, Task<(IPingPongEnd A, IPingPongEnd B)>> connectPair)
    {
        // All pairs at once: some servers (InspIRCd) finish a registration only on their next second's tick.
        var connected = await Task.WhenAll(Enumerable.Range(0, pairs).Select(connectPair));
        var a = connected.Select(pair => pair.A).ToArray();
        var b = connected.Select(pair => pair.B).ToArray();

        using var stop = new CancellationTokenSource(duration);
        var rtts = new List<long>[pairs];
        var tasks = Enumerable.Range(0, pairs).SelectMany(i => new[]
        {
            // b answers every message it gets.
            Task.Run(async () =>
            {
                try
                {
                    while (await b[i].ReceiveAsync(stop.Token) is { } payload)
                    {
                        await b[i].SendAsync(payload);
                    }
                }
                catch (Exception ex) when (EndsTheRun(ex))
                {
                }
            }),

            // a sends, waits for the echo, and sends again.
            Task.Run(async () =>
            {
                rtts[i] = [];
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await a[i].SendAsync($"{started}x");
                        await a[i].ReceiveAsync(stop.Token);
                        rtts[i].Add(Stopwatch.GetTimestamp() - started);
                    }
                }
                catch (Exception ex) when (EndsTheRun(ex))
                {
                }
            }),
        }).ToList();

        await Task.WhenAll(tasks);
        foreach (var end in a.Concat(b))
        {
            await end.DisposeAsync();
        }

        var all = rtts.SelectMany(r => r).Order().ToArray();
        return new Result(system, route, pairs, all.Length / duration.TotalSeconds, Latency.Percentile(all, 0.50), Latency.Percentile(all, 0.99));
    }

    // The run ends by cancelling the reads; a connection the other end closes as the run stops
    // fails with the error of its kind (a socket's, or the client library's).
    private static bool EndsTheRun(Exception ex) => ex is OperationCanceledException or IOException or ChatClientException;

    /// <summary>One end of a relay pair: protocol frames to the partner through the server.</summary>
    private sealed class RelayEnd(ChatSystem system, LineConnection connection, string partner) : IPingPongEnd
    {
        public Task SendAsync(string payload) => connection.WriteAsync(system.DirectFrame(partner, payload));

        public Task<string?> ReceiveAsync(CancellationToken cancellationToken) => system.ReceiveAsync(connection, cancellationToken);

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}

/// <summary>One end of a ping-pong pair: sends to its partner and receives what the partner sent.</summary>
internal interface IPingPongEnd : IAsyncDisposable
{
    Task SendAsync(string payload);

    /// <summary>The next message from the partner (other traffic skipped); null once the connection has ended.</summary>
    Task<string?> ReceiveAsync(CancellationToken cancellationToken);
}
