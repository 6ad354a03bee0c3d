using System.Diagnostics;
using System.Net;
using PeerChat.Core.Client;

namespace PeerChat.Bench;

/// <summary>
/// Ping-pong over the direct route. Here the server only brokers the first connection and the
/// messages go client to client, so the peers are PeerChat's own client library (it holds the peer
/// listener, the token check and the acks); the figure is what two PeerChat clients achieve.
/// </summary>
internal static class DirectPingPong
{
    // The figure is the route's speed, not the receiver's flood control (1,000 messages a second a
    // peer by default), which a single pair exceeds twentyfold.
    private static readonly ChatClientOptions Unpaced = new()
    {
        DirectFloodBurst = 1_000_000_000,
        DirectFloodRate = 1e9,
        DirectFloodBurstBytes = 1L << 40,
        DirectFloodRateBytes = 1e12,
    };

    public static async Task<PingPong.Result> RunAsync(IPEndPoint server, int pairs, TimeSpan duration)
    {
        var a = new ChatClient[pairs];
        var b = new ChatClient[pairs];
        for (var i = 0; i < pairs; i++)
        {
            a[i] = await ChatClient.ConnectAsync(server.Address.ToString(), server.Port, Unpaced);
            await a[i].LoginAsync($"pa{i}", PeerChatSystem.Password);
            b[i] = await ChatClient.ConnectAsync(server.Address.ToString(), server.Port, Unpaced);
            await b[i].LoginAsync($"pb{i}", PeerChatSystem.Password);
        }

        using var stop = new CancellationTokenSource(duration);
        var rtts = new List<long>[pairs];
        var tasks = Enumerable.Range(0, pairs).SelectMany(i => new[]
        {
            Task.Run(async () =>
            {
                try
                {
                    await foreach (var chatEvent in b[i].Events.ReadAllAsync(stop.Token))
                    {
                        if (chatEvent is ChatMessage message)
                        {
                            await b[i].SendAsync($"pa{i}", message.Text, route: RoutePreference.Direct);
                        }
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or ChatClientException)
                {
                }
            }),
            Task.Run(async () =>
            {
                rtts[i] = [];
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await a[i].SendAsync($"pb{i}", "ping", route: RoutePreference.Direct);
                        await a[i].Events.ReadAsync(stop.Token);
                        rtts[i].Add(Stopwatch.GetTimestamp() - started);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or ChatClientException)
                {
                }
            }),
        }).ToList();

        await Task.WhenAll(tasks);
        foreach (var client in a.Concat(b))
        {
            await client.DisposeAsync();
        }

        var all = rtts.SelectMany(r => r).Order().ToArray();
        return new PingPong.Result("PeerChat", "direct", pairs, all.Length / duration.TotalSeconds, Latency.Percentile(all, 0.50), Latency.Percentile(all, 0.99));
    }
}
