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

    public static Task<PingPong.Result> RunAsync(IPEndPoint server, int pairs, TimeSpan duration) =>
        PingPong.RunAsync("PeerChat", "direct", pairs, duration, async i =>
            (new DirectEnd(await LoginAsync(server, $"pa{i}"), $"pb{i}"),
             new DirectEnd(await LoginAsync(server, $"pb{i}"), $"pa{i}")));

    private static async Task<ChatClient> LoginAsync(IPEndPoint server, string user)
    {
        var client = await ChatClient.ConnectAsync(server.Address.ToString(), server.Port, Unpaced);
        await client.LoginAsync(user, PeerChatSystem.Password);
        return client;
    }

    /// <summary>One end of a direct pair: the client library, sending on the direct route only.</summary>
    private sealed class DirectEnd(ChatClient client, string partner) : IPingPongEnd
    {
        public Task SendAsync(string payload) => client.SendAsync(partner, payload, route: RoutePreference.Direct);

        // Read as an application would for one message at a time: ReadAllAsync would make an
        // enumerator for every message, the benchmark's cost rather than the library's.
        public async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
        {
            while (await client.Events.WaitToReadAsync(cancellationToken))
            {
                while (client.Events.TryRead(out var chatEvent))
                {
                    if (chatEvent is ChatMessage message)
                    {
                        return message.Text;
                    }
                }
            }

            return null;
        }

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }
}
