using PeerChat.Cluster.Redis;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// A node publishing its sessions anew after a Redis hiccup (docs/CLUSTER.md, "Presence and
/// sessions"): it never ends a newer session of the same user on another node, and the other nodes
/// see none of its users leave and join again.
/// </summary>
public sealed class ClusterResyncTests
{
    [RedisFact]
    public async Task AResync_LeavesTheNewerLoginElsewhere_EndsTheOlderOne_AndShowsNoQuitOrJoin()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var proxy = cluster.AddProxy();
        var nodeA = await cluster.AddNodeAsync("node-a");
        var nodeB = await cluster.AddNodeAsync("node-b", proxy.Configuration, TestCluster.FastSettings);
        var nodeC = await cluster.AddNodeAsync("node-c");
        var carol = await nodeC.LoginAsync("carol", new ChatClientOptions { ReceivePresence = true });
        var bobOnB = await nodeB.LoginAsync("bob");
        var dave = await nodeB.LoginAsync("dave");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("bob", "carol", "dave"), "every node has bob, carol and dave online");
        var joined = new HashSet<string>(StringComparer.Ordinal);
        for (var presences = 0; joined.Count < 2 && presences < 10; presences++)
        {
            joined.Add((await ClusterTests.NextAsync<ChatPresence>(carol)).UserName);
        }

        // Node B has read its own logins back (they are before carol's broadcast on the bus).
        await carol.BroadcastAsync("hello");
        Assert.Equal("hello", (await ClusterTests.NextAsync<ChatMessage>(bobOnB)).Text);

        // Node B stalls: bob logs in again on node A, and node C has read that; then node B's
        // resync (as after a lost login or logout) is taken with bob's older session in it.
        proxy.Pause();
        var bobOnA = await nodeA.LoginAsync("bob");
        await cluster.WaitUntilAsync(() => TestCluster.BackplaneOf(nodeC).FindRemote("bob")?.ClientId == bobOnA.Session!.ClientId, "node C has read bob's login on node A");
        var resync = TestCluster.BackplaneOf(nodeB).ResyncNowAsync();
        proxy.Resume();
        await resync.WaitAsync(TestServer.Patience);

        // The older session ends; the newer one on node A stays and gets what is sent to bob.
        Assert.Equal(NoticeCodes.SessionReplaced, (await ClusterTests.NextAsync<ChatNotice>(bobOnB)).Code);
        Assert.Equal(1, (await carol.SendAsync("bob", "to the newer one", route: RoutePreference.Relay)).Recipients);
        Assert.Equal("to the newer one", (await ClusterTests.NextAsync<ChatMessage>(bobOnA)).Text);

        // Dave never left: carol saw him neither leave nor join (the resync is before his message on the bus).
        await dave.SendAsync("carol", "still here", route: RoutePreference.Relay);
        var seen = new List<ChatEvent>();
        for (var events = 0; events < 1000; events++)
        {
            var next = await carol.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
            seen.Add(next);
            if (next is ChatMessage { Text: "still here" })
            {
                break;
            }
        }

        Assert.IsType<ChatMessage>(seen[^1]);
        Assert.DoesNotContain(seen, e => e is ChatPresence { UserName: "dave" });
    }

    [RedisFact]
    public async Task AResync_KeepsEachSessionsOwnLoginIdInItsNodesOnHash()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        var bob = await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "both nodes have alice and bob online");
        var redis = ((RedisMessageStore)cluster.Nodes[0].Server.Options.MessageStore!).Database;
        var onA = cluster.Prefix + "on:node-a";
        await ReadPastAsync(bob, alice, "node A has read alice's login back");
        var loginId = LoginIdOf(await redis.HashGetAsync(onA, "alice"));

        // Two resyncs, node A reading the first one's entries back in between: alice's session
        // still says its own login, which a resync elsewhere compares, not a resync's entry.
        var backplane = TestCluster.BackplaneOf(cluster.Nodes[0]);
        await backplane.ResyncNowAsync().WaitAsync(TestServer.Patience);
        Assert.Equal(loginId, LoginIdOf(await redis.HashGetAsync(onA, "alice")));
        await ReadPastAsync(bob, alice, "node A has read its resync back");
        await backplane.ResyncNowAsync().WaitAsync(TestServer.Patience);
        Assert.Equal(loginId, LoginIdOf(await redis.HashGetAsync(onA, "alice")));
    }

    [RedisFact]
    public async Task AResync_ReadsPastALoginIdItCannotCompare_AndKeepsTheNodesSessions()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        var bob = await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "both nodes have alice and bob online");
        await ReadPastAsync(bob, alice, "node A has read alice's login back");

        // Node B's hash holds a session of alice whose login id is no stream id (written by another version, say).
        var redis = ((RedisMessageStore)cluster.Nodes[0].Server.Options.MessageStore!).Database;
        await redis.HashSetAsync(cluster.Prefix + "on:node-b", "alice", "c1.node-b\talice\t127.0.0.1\t\t0\t\t\tnot-an-id");

        // The resync compares nothing with it and fails not halfway (Redis keeps what a failed script did).
        await TestCluster.BackplaneOf(cluster.Nodes[0]).ResyncNowAsync().WaitAsync(TestServer.Patience);
        Assert.True(await redis.HashExistsAsync(cluster.Prefix + "on:node-a", "alice"));
    }

    // A broadcast from the other node, received: the receiver's node has read the bus up to it.
    private static async Task ReadPastAsync(ChatClient sender, ChatClient receiver, string what)
    {
        var text = "marker " + Guid.NewGuid().ToString("N");
        await sender.BroadcastAsync(text);
        for (var seen = 0; seen < 100; seen++)
        {
            if (await ClusterTests.NextAsync<ChatMessage>(receiver) is { } message && message.Text == text)
            {
                return;
            }
        }

        throw new InvalidOperationException("Not read: " + what);
    }

    private static string LoginIdOf(StackExchange.Redis.RedisValue session) => ((string)session!).Split('\t')[^1];
}
