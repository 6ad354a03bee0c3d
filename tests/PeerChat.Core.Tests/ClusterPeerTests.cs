using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// Direct peer-to-peer across the nodes of a cluster (docs/CLUSTER.md, "Presence and sessions"):
/// the sender's node brokers the endpoint the peer's own node saw, and the message goes straight
/// from client to client over real sockets, never through either node.
/// </summary>
public sealed class ClusterPeerTests
{
    [RedisFact]
    public async Task ADirectMessage_ToAPeerOnAnotherNode_GoesStraightToTheEndpointItsNodeSaw_NotThroughTheRelay()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        var bob = await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "both nodes have both online");

        var grant = await alice.ConnectPeerAsync("bob");
        var receipt = await alice.SendAsync("bob", "straight across", route: RoutePreference.Direct);
        var atBob = await NextMessageAsync(bob);
        var reply = await bob.SendAsync("alice", "and back", route: RoutePreference.Direct);
        var atAlice = await NextMessageAsync(alice);

        Assert.Equal(("bob", bob.Session!.ClientId, $"127.0.0.1:{bob.DirectPort}"), (grant.To, grant.ClientId, grant.Endpoint));
        Assert.Equal((MessageRoute.Direct, MessageRoute.Direct), (receipt.Route, reply.Route));
        Assert.Equal(("alice", "straight across", MessageRoute.Direct), (atBob.From, atBob.Text, atBob.Route));
        Assert.Equal(("bob", "and back", MessageRoute.Direct), (atAlice.From, atAlice.Text, atAlice.Route));
        var (statisticsA, statisticsB) = (cluster.Nodes[0].Server.GetStatistics(), cluster.Nodes[1].Server.GetStatistics());
        Assert.Equal((0L, 0L), (statisticsA.MessagesRelayed, statisticsB.MessagesRelayed));

        // Each sender's own node brokered: the grant and alice's link on A, bob's link on B.
        Assert.Equal((2L, 1L), (statisticsA.DirectConnectionsBrokered, statisticsB.DirectConnectionsBrokered));
    }

    [RedisFact]
    public async Task APeerOfflineEverywhere_OrOnAnotherNodeWithoutAListener_GetsTheErrorsOfOneNode_AndAutoRelays()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        await cluster.Nodes[0].EnsureUserAsync("dave");
        var carol = await cluster.Nodes[1].LoginAsync("carol", new ChatClientOptions { EnableDirect = false });
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "carol"), "both nodes have both online");

        var offline = await Assert.ThrowsAsync<ChatClientException>(() => alice.ConnectPeerAsync("dave"));
        var noListener = await Assert.ThrowsAsync<ChatClientException>(() => alice.ConnectPeerAsync("carol"));
        var direct = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("carol", "direct only", route: RoutePreference.Direct));
        var auto = await alice.SendAsync("carol", "relayed instead");
        var atCarol = await NextMessageAsync(carol);

        Assert.Equal((ErrorCodes.NoSuchUser, "No user named 'dave' is online."), (offline.Code, offline.Message));
        Assert.Equal((ErrorCodes.PeerUnavailable, "'carol' takes no direct connections; use send."), (noListener.Code, noListener.Message));
        Assert.Equal(ErrorCodes.PeerUnavailable, direct.Code);
        Assert.Equal((MessageRoute.Relay, 1), (auto.Route, auto.Recipients));
        Assert.Equal(("relayed instead", MessageRoute.Relay), (atCarol.Text, atCarol.Route));
    }

    // The next message a client receives, passing over presence and room notices.
    private static async Task<ChatMessage> NextMessageAsync(ChatClient client)
    {
        for (var seen = 0; seen < 1000; seen++)
        {
            if (await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is ChatMessage message)
            {
                return message;
            }
        }

        throw new InvalidOperationException("No message in 1000 events.");
    }
}
