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
            joined.Add((await NextAsync<ChatPresence>(carol)).UserName);
        }

        // Node B has read its own logins back (they are before carol's broadcast on the bus).
        await carol.BroadcastAsync("hello");
        Assert.Equal("hello", (await NextAsync<ChatMessage>(bobOnB)).Text);

        // Node B stalls: bob logs in again on node A, and node C has read that; then node B's
        // resync (as after a lost login or logout) is taken with bob's older session in it.
        proxy.Pause();
        var bobOnA = await nodeA.LoginAsync("bob");
        await cluster.WaitUntilAsync(() => TestCluster.BackplaneOf(nodeC).FindRemote("bob")?.ClientId == bobOnA.Session!.ClientId, "node C has read bob's login on node A");
        var resync = TestCluster.BackplaneOf(nodeB).ResyncNowAsync();
        proxy.Resume();
        await resync.WaitAsync(TestServer.Patience);

        // The older session ends; the newer one on node A stays and gets what is sent to bob.
        Assert.Equal(NoticeCodes.SessionReplaced, (await NextAsync<ChatNotice>(bobOnB)).Code);
        Assert.Equal(1, (await carol.SendAsync("bob", "to the newer one", route: RoutePreference.Relay)).Recipients);
        Assert.Equal("to the newer one", (await NextAsync<ChatMessage>(bobOnA)).Text);

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

    private static async Task<T> NextAsync<T>(ChatClient client)
        where T : ChatEvent
    {
        for (var seen = 0; seen < 1000; seen++)
        {
            if (await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is T found)
            {
                return found;
            }
        }

        throw new InvalidOperationException($"No {typeof(T).Name} in 1000 events.");
    }
}
