using PeerChat.Cluster.Redis;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;
using StackExchange.Redis;

namespace PeerChat.Core.Tests;

/// <summary>
/// Every write of a node's run passes the run's token (docs/CLUSTER.md, "One live node per name"):
/// once another run holds the name, each script refuses the old run's write and writes nothing.
/// The first refusal stops the old run, after which its writes no longer reach Redis, so each
/// test makes the write under test the old run's first one since another run took its name.
/// </summary>
public sealed class ClusterRunTokenTests
{
    private const string OldRunText = "from the old run";

    [RedisFact]
    public async Task AnOldRunsBroadcast_IsRefusedByItsAppend_AndNeitherStoredNorOnTheBus()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var old = await AddOldRunAsync(cluster);
        var alice = await old.LoginAsync("alice");
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var lastBefore = await TakeNameAsync(cluster, store.Database);

        // Refused with store_unavailable, unless the old run's stop (which the refusal starts)
        // closes the connection first: either way, not acknowledged.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => alice.BroadcastAsync(OldRunText).WaitAsync(TestServer.Patience));
        Assert.IsNotType<TimeoutException>(refused);
        if (refused is ChatClientException { Code: var code })
        {
            Assert.Contains(code, new[] { ErrorCodes.StoreUnavailable, NoticeCodes.ServerShutdown });
        }

        await AssertRefusedAsync(cluster, old, store.Database, lastBefore);
        var stored = await store.ReadHistoryAsync(ConversationKey.Everyone, new HistoryQuery(100));
        Assert.DoesNotContain(stored.Messages, m => m.Text == OldRunText);
    }

    [RedisFact]
    public async Task AnOldRunsMessageOnTheBus_IsRefused_AndNothingIsWritten()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var old = await AddOldRunAsync(cluster);
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var lastBefore = await TakeNameAsync(cluster, store.Database);

        // The Message script: what a node whose message store is not this Redis publishes.
        var message = new PeerChat.Core.Chat.ChatMessage(MessageIds.Next(), ConversationKey.Everyone, "alice", null, null, OldRunText, null, null, DateTimeOffset.UtcNow);
        TestCluster.BackplaneOf(old).PublishMessage(message);
        await AssertRefusedAsync(cluster, old, store.Database, lastBefore);
    }

    [RedisFact]
    public async Task AnOldRunsRoomChange_IsRefused_AndNothingIsWritten()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var old = await AddOldRunAsync(cluster);
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var lastBefore = await TakeNameAsync(cluster, store.Database);

        TestCluster.BackplaneOf(old).PublishRoomChange("lounge", "alice", joined: true);
        await AssertRefusedAsync(cluster, old, store.Database, lastBefore);
    }

    [RedisFact]
    public async Task AnOldRunsLogout_IsRefused_AndNothingIsWritten()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var old = await AddOldRunAsync(cluster);
        var alice = await old.LoginAsync("alice");
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var lastBefore = await TakeNameAsync(cluster, store.Database);

        await alice.DisposeAsync();
        await AssertRefusedAsync(cluster, old, store.Database, lastBefore);
    }

    [RedisFact]
    public async Task AnOldRunsResync_IsRefused_AndNothingIsWritten()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var old = await AddOldRunAsync(cluster);
        await old.LoginAsync("alice");
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var lastBefore = await TakeNameAsync(cluster, store.Database);

        await TestCluster.BackplaneOf(old).ResyncNowAsync().WaitAsync(TestServer.Patience);
        await AssertRefusedAsync(cluster, old, store.Database, lastBefore);
    }

    [RedisFact]
    public async Task AnOldRunsPeerExpectation_IsRefused_AndNothingIsWritten()
    {
        await using var cluster = await TestCluster.StartAsync(0);
        var old = await AddOldRunAsync(cluster);
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        var lastBefore = await TakeNameAsync(cluster, store.Database);

        // What a sender's node tells the peer's node before a direct connection (docs/CLUSTER.md).
        var peer = new PeerChat.Core.Protocol.ClientInfo("c-bob", "bob", "127.0.0.1", "127.0.0.1:9", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, 0, Node: "node-b");
        var expectation = new PeerExpectation("alice", "c-alice", "a-token", DateTimeOffset.UtcNow.AddMinutes(1));
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => TestCluster.BackplaneOf(old).ExpectPeerAsync(peer, expectation).WaitAsync(TestServer.Patience));
        Assert.IsNotType<TimeoutException>(refused);
        await AssertRefusedAsync(cluster, old, store.Database, lastBefore);
    }

    // The old run of node-a beats rarely here: only its own writes can find that its name was taken.
    private static Task<TestServer> AddOldRunAsync(TestCluster cluster) =>
        cluster.AddNodeAsync("node-a", cluster.Redis.Configuration, TestCluster.FastSettings with { HeartbeatInterval = TimeSpan.FromMinutes(1), HeartbeatTimeToLive = TimeSpan.FromMinutes(2) });

    // A new run of node-a enters, as its Enter script does once the old run's heartbeat expired; the bus's last entry before that.
    private static async Task<RedisValue> TakeNameAsync(TestCluster cluster, IDatabase redis)
    {
        await redis.ExecuteAsync("SET", cluster.Prefix + "n:node-a", "a newer run", "PX", 60_000);
        return (await redis.StreamRangeAsync(cluster.Prefix + "bus", "-", "+", 1, Order.Descending))[0].Id;
    }

    // Redis refused the write (reported as the name found taken, and the old run stopped), and nothing of it reached the bus.
    private static async Task AssertRefusedAsync(TestCluster cluster, TestServer old, IDatabase redis, RedisValue lastBefore)
    {
        var failed = await old.WaitForEventAsync<MessageStoreFailedEvent>(e => e.Reason.Contains("'node-a' is live", StringComparison.Ordinal));
        Assert.Equal("cluster node name taken", failed.Operation);
        await old.Server.Completion.WaitAsync(TestServer.Patience);
        Assert.IsType<NodeNameInUseException>(old.Server.StopReason);
        var since = await redis.StreamRangeAsync(cluster.Prefix + "bus", lastBefore, "+");
        Assert.DoesNotContain(since, e => e.Id != lastBefore && (string?)e["n"] == "node-a");
        Assert.Equal("a newer run", (string?)await redis.StringGetAsync(cluster.Prefix + "n:node-a"));
    }
}
