using PeerChat.Cluster.Redis;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// One live node per name (docs/CLUSTER.md, "Presence and sessions"): a second node of a live
/// node's name is refused at start, and leaves the live one as it was; a node killed without
/// leaving can start again under its name once its heartbeat has expired.
/// </summary>
public sealed class ClusterNodeNameTests
{
    [RedisFact]
    public async Task ASecondNodeOfALiveName_IsRefusedWithNodeNameInUse_AndTheLiveOneKeepsItsPlace()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice"), "both nodes have alice online");

        var refused = await StartRefusedAsync(cluster, "node-a");

        Assert.Equal("node-a", refused.NodeName);
        Assert.Contains("'node-a'", refused.Message, StringComparison.Ordinal);
        Assert.InRange(refused.ExpiresIn, TimeSpan.Zero, TestCluster.FastSettings.HeartbeatTimeToLive);

        // Refused without touching the live node's heartbeat, users or place in the cluster.
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        Assert.True(await store.Database.KeyExistsAsync(cluster.Prefix + "n:node-a"));
        Assert.StartsWith(alice.Session!.ClientId + "\t", (string?)await store.Database.HashGetAsync(cluster.Prefix + "on:node-a", "alice"), StringComparison.Ordinal);
        var nodeC = await cluster.AddNodeAsync("node-c");
        await cluster.WaitUntilAsync(() => nodeC.Server.Chat.IsOnline("alice"), "a node started later sees alice");
    }

    [RedisFact]
    public async Task ANodeKilledWithoutLeaving_IsRefusedUnderItsNameUntilItsHeartbeatExpires_ThenStarts()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("bob"), "both nodes have bob online");

        // As a killed process would: no more heartbeats, no goodbye.
        await TestCluster.BackplaneOf(cluster.Nodes[1]).AbandonAsync();
        var refused = await StartRefusedAsync(cluster, "node-b");
        Assert.InRange(refused.ExpiresIn, TimeSpan.Zero, TestCluster.FastSettings.HeartbeatTimeToLive);

        // Once node A has swept it (its heartbeat expired), the name is free again.
        await cluster.WaitUntilAsync(() => !cluster.Nodes[0].Server.Chat.IsOnline("bob"), "node A no longer sees bob");
        var restarted = await cluster.AddNodeAsync("node-b");
        await restarted.LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.Nodes[0].Server.Chat.IsOnline("bob"), "node A sees bob on the restarted node-b");
    }

    [RedisFact]
    public async Task ANodeWhoseHeartbeatExpired_FindsItsNameTaken_AndStopsRatherThanTakeItBack()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var proxy = cluster.AddProxy();
        var old = await cluster.AddNodeAsync("node-a", proxy.Configuration, TestCluster.FastSettings);
        var nodeB = await cluster.AddNodeAsync("node-b");
        var alice = await old.LoginAsync("alice");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice"), "both nodes have alice online");

        // The old node-a stalls past its heartbeat's lifetime: node B sweeps it, and a new node-a enters.
        proxy.Pause();
        await cluster.WaitUntilAsync(() => !nodeB.Server.Chat.IsOnline("alice"), "node B has swept the old node-a");
        var newer = await cluster.AddNodeAsync("node-a");
        await newer.LoginAsync("carol");
        await cluster.WaitUntilAsync(() => nodeB.Server.Chat.IsOnline("carol"), "node B sees carol on the new node-a");
        proxy.Resume();

        // The old one finds its name taken and stops, as it would have been refused at start:
        // reported, its clients told server_shutdown, and nothing more under that name.
        var failed = await old.WaitForEventAsync<MessageStoreFailedEvent>(e => e.Reason.Contains("'node-a' is live", StringComparison.Ordinal));
        Assert.Equal("cluster heartbeat", failed.Operation);
        await AssertStoppedDisplacedAsync(old, alice);

        // The new node-a keeps its heartbeat and its users: node B still has carol after sweeps.
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        for (var beats = 0; beats < 3; beats++)
        {
            await cluster.NextBusReadAsync();
        }

        Assert.True(nodeB.Server.Chat.IsOnline("carol"));
        Assert.False(nodeB.Server.Chat.IsOnline("alice"));
        Assert.Equal(["carol"], (await store.Database.HashKeysAsync(cluster.Prefix + "on:node-a")).Select(k => (string)k!));
    }

    [RedisFact]
    public async Task AnOldRunWhoseNameWasTaken_CannotChangeTheNewRunsPresence_NorPublishAsTheNode()
    {
        await using var cluster = await TestCluster.StartAsync(0);

        // The old run beats rarely here: only its own writes can find that its name was taken.
        var rarely = TestCluster.FastSettings with { HeartbeatInterval = TimeSpan.FromMinutes(1), HeartbeatTimeToLive = TimeSpan.FromMinutes(2) };
        var old = await cluster.AddNodeAsync("node-a", cluster.Redis.Configuration, rarely);
        var nodeB = await cluster.AddNodeAsync("node-b");
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var redis = store.Database;

        // A new run of node-a enters, as its Enter script does once the old run's heartbeat expired.
        await redis.ExecuteAsync("SET", cluster.Prefix + "n:node-a", "a newer run", "PX", 60_000);
        await redis.KeyDeleteAsync(cluster.Prefix + "on:node-a");
        var lastBefore = (await redis.StreamRangeAsync(cluster.Prefix + "bus", "-", "+", 1, StackExchange.Redis.Order.Descending))[0].Id;

        // The old run's login is refused by Redis, before its next heartbeat: it stops at once,
        // and says that a write (not the heartbeat) found the name taken.
        var alice = await old.LoginAsync("alice");
        var failed = await old.WaitForEventAsync<MessageStoreFailedEvent>(e => e.Reason.Contains("'node-a' is live", StringComparison.Ordinal));
        Assert.Equal("cluster node name taken", failed.Operation);
        await AssertStoppedDisplacedAsync(old, alice);

        // Nothing of it reached the new run's presence or the bus.
        Assert.Equal(0L, await redis.HashLengthAsync(cluster.Prefix + "on:node-a"));
        var since = await redis.StreamRangeAsync(cluster.Prefix + "bus", lastBefore, "+");
        Assert.DoesNotContain(since, e => e.Id != lastBefore && (string?)e["n"] == "node-a");
        await cluster.NextBusReadAsync();
        await cluster.NextBusReadAsync();
        Assert.False(nodeB.Server.Chat.IsOnline("alice"));
        Assert.Equal("a newer run", (string?)await redis.StringGetAsync(cluster.Prefix + "n:node-a"));
    }

    // The displaced node's server stopped by itself with NodeNameInUse, and told its client so.
    private static async Task AssertStoppedDisplacedAsync(TestServer node, ChatClient client)
    {
        await node.Server.Completion.WaitAsync(TestServer.Patience);
        Assert.Equal("node-a", Assert.IsType<NodeNameInUseException>(node.Server.StopReason).NodeName);
        for (var seen = 0; seen < 100; seen++)
        {
            if (await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is ChatNotice notice)
            {
                Assert.Equal(NoticeCodes.ServerShutdown, notice.Code);
                return;
            }
        }

        Assert.Fail("No notice in 100 events.");
    }

    private static async Task<NodeNameInUseException> StartRefusedAsync(TestCluster cluster, string name)
    {
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var backplane = RedisChatBackplane.Create(store, name, TestCluster.FastSettings);
        var server = new ChatServer(TestServer.DefaultOptions with { MessageStore = store, Backplane = backplane }, cluster.Users);
        return Assert.Throws<NodeNameInUseException>(server.Start);
    }
}
