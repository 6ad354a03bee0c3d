using System.Diagnostics;
using PeerChat.Cluster.Redis;
using PeerChat.Core.Client;
using PeerChat.Core.Tests.Support;
using StackExchange.Redis;

namespace PeerChat.Core.Tests;

/// <summary>
/// One node losing Redis while the others keep it (docs/CLUSTER.md, "When Redis goes away" and
/// "Fan-out"): node B reaches Redis through a <see cref="TcpProxy"/> that the test cuts or pauses.
/// </summary>
public sealed class ClusterGapTests
{
    private static readonly string[] Users = ["alice", "bob", "carol"];
    private static readonly string[] Streams = ["alice to all", "carol in ops", "alice to bob", "carol to bob"];

    [RedisFact]
    public Task ANodeCutOffFromRedis_GetsWhatItMissed_InOrderOnceEach_LiveOrOffline() => CutOffAsync(trimmed: false);

    [RedisFact]
    public Task ANodeCutOffPastTheBusLength_RefillsFromTheConversations_InOrderOnceEach() => CutOffAsync(trimmed: true);

    [RedisFact]
    public async Task AStalledNode_HoldsUpNobody_AndItsBacklogInRedisStaysBounded()
    {
        const int BusLength = 50, NodeEntries = 10, Fill = 300;
        await using var cluster = await TestCluster.StartAsync(0);
        var (nodes, proxy, redis) = await StartThreeAsync(cluster, BusLength, NodeEntries);
        var alice = await nodes[0].LoginAsync("alice");
        var bob = await nodes[1].LoginAsync("bob");
        var carol = await nodes[2].LoginAsync("carol");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees(Users), "every node has all three online");

        // Node B reads nothing more (its commands hang, as a stalled node's would): A and C go on.
        proxy.Pause();
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var sent = Stopwatch.StartNew();
            await alice.SendAsync("carol", $"ping {i}", route: RoutePreference.Relay);
            Assert.Equal($"ping {i}", (await MessagesAsync(carol, 1))[0].Text);
            slowest = sent.Elapsed > slowest ? sent.Elapsed : slowest;
        }

        for (var i = 0; i < Fill; i++)
        {
            await alice.BroadcastAsync($"fill {i}");
        }

        Assert.Equal(Enumerable.Range(0, Fill).Select(i => $"fill {i}"), (await MessagesAsync(carol, Fill)).Select(m => m.Text));
        var busLength = await redis.StreamLengthAsync(cluster.Prefix + "bus");

        // Waiting for B would take at least StackExchange.Redis's 5 s command timeout.
        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a round trip between nodes A and C took {slowest} while node B was stalled");
        Assert.InRange(busLength, 1, BusLength + NodeEntries);

        // Back, B refills from the conversation what the bus no longer holds: each once, in order.
        proxy.Resume();
        var got = await MessagesAsync(bob, Fill);
        Assert.Equal(Enumerable.Range(0, Fill).Select(i => $"fill {i}"), got.Select(m => m.Text));
        await alice.BroadcastAsync("the end");
        Assert.Equal("the end", (await MessagesAsync(bob, 1))[0].Text);
    }

    [RedisFact]
    public async Task ARefill_QueuesOnce_ADirectMessageItCannotKnowWasDeliveredLive_RatherThanRiskItsLoss()
    {
        const int Fill = 40;
        await using var cluster = await TestCluster.StartAsync(0);
        var (nodes, proxy, redis) = await StartThreeAsync(cluster, 20, 5);
        await using var aliceOnB = await nodes[1].LoginAsync("alice");
        var bob = await nodes[2].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "every node has alice and bob online");
        var lastBefore = (await redis.StreamRangeAsync(cluster.Prefix + "bus", "-", "+", 1, Order.Descending))[0].Id;
        var refilled = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        TestCluster.BackplaneOf(nodes[1]).Refilled += count => refilled.TrySetResult(count);

        // Node B is cut off and swept; alice logs in again on node A, and her direct message
        // reaches bob live on node C; then bob logs out and the bus moves on past node B.
        proxy.Cut();
        await cluster.WaitUntilAsync(() => !nodes[0].Server.Chat.IsOnline("alice") && !nodes[2].Server.Chat.IsOnline("alice"), "nodes A and C have swept alice");
        var aliceOnA = await nodes[0].LoginAsync("alice");
        var sent = await aliceOnA.SendAsync("bob", "live while B was away", route: RoutePreference.Relay);
        Assert.Equal((1, false), (sent.Recipients, sent.Queued));
        Assert.Equal("live while B was away", (await MessagesAsync(bob, 1))[0].Text);
        await bob.LogoutAsync();
        await cluster.WaitUntilAsync(() => !nodes[0].Server.Chat.IsOnline("bob"), "node A sees bob offline");
        for (var i = 0; i < Fill; i++)
        {
            await aliceOnA.BroadcastAsync($"fill {i}");
        }

        Assert.Empty(await redis.StreamRangeAsync(cluster.Prefix + "bus", "-", lastBefore, 1));

        // Node B refills alice's conversations, that one with bob among them. Nothing tells it that
        // bob had it live, and had his node died before reading it, no other node would queue it:
        // it is queued, once, and comes again (offline) rather than risk never coming (CLUSTER.md).
        proxy.Restore();
        await refilled.Task.WaitAsync(TestServer.Patience);
        var again = await nodes[2].LoginAsync("bob");
        Assert.Equal(1, again.Session!.Queued);
    }

    // Node B is cut off long enough to be swept (direct messages to bob are queued) while alice and
    // carol send; with trimmed, the bus is trimmed past B's last read meanwhile.
    private static async Task CutOffAsync(bool trimmed)
    {
        const int Each = 8;
        await using var cluster = await TestCluster.StartAsync(0);
        var (nodes, proxy, redis) = await StartThreeAsync(cluster, trimmed ? 20 : 100_000, 5);
        var clients = new ChatClient[3];
        for (var k = 0; k < 3; k++)
        {
            clients[k] = await nodes[k].LoginAsync(Users[k]);
        }

        var (alice, bob, carol) = (clients[0], clients[1], clients[2]);
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees(Users), "every node has all three online");
        foreach (var client in clients)
        {
            await client.JoinAsync("ops");
        }

        await cluster.WaitUntilAsync(
            async () => (await Task.WhenAll(nodes.Select(async n => (await n.Server.Chat.ListRoomsAsync("alice")).Rooms.SingleOrDefault()?.Members))).All(m => m == 3),
            "every node has the three members of ops");

        // Node B has read a broadcast and a direct message from alice, none of #ops or from carol.
        await alice.BroadcastAsync("before");
        await alice.SendAsync("bob", "before", route: RoutePreference.Relay);
        Assert.Equal(["before", "before"], (await MessagesAsync(bob, 2)).Select(m => m.Text));
        var lastBefore = (await redis.StreamRangeAsync(cluster.Prefix + "bus", "-", "+", 1, Order.Descending))[0].Id;
        var refilled = 0;
        TestCluster.BackplaneOf(nodes[1]).Refilled += count => Interlocked.Add(ref refilled, count);

        proxy.Cut();
        await cluster.WaitUntilAsync(() => !nodes[0].Server.Chat.IsOnline("bob") && !nodes[2].Server.Chat.IsOnline("bob"), "nodes A and C have swept bob");

        // A login node B does not see happen: with the bus trimmed, it reads the sessions again.
        await using var dave = await nodes[2].LoginAsync("dave");
        for (var i = 0; i < Each; i++)
        {
            await alice.BroadcastAsync($"alice to all {i}");
            await carol.BroadcastAsync("ops", $"carol in ops {i}", data: null);
            Assert.True((await alice.SendAsync("bob", $"alice to bob {i}", route: RoutePreference.Relay)).Queued);
            Assert.True((await carol.SendAsync("bob", $"carol to bob {i}", route: RoutePreference.Relay)).Queued);
        }

        var before = await redis.StreamRangeAsync(cluster.Prefix + "bus", "-", lastBefore, 1);
        Assert.Equal(trimmed, before.Length == 0);

        proxy.Restore();
        var got = await MessagesAsync(bob, Streams.Length * Each);
        foreach (var stream in Streams)
        {
            Assert.Equal(Enumerable.Range(0, Each).Select(i => $"{stream} {i}"), got.Where(m => m.Text.StartsWith(stream, StringComparison.Ordinal)).Select(m => m.Text));
        }

        Assert.Equal(got.Count, got.Select(m => m.MessageId).Distinct().Count());
        await alice.BroadcastAsync("the end");
        Assert.Equal("the end", (await MessagesAsync(bob, 1))[0].Text);

        // Read after the refill, if any: the reader is done with it.
        Assert.Equal(trimmed, Volatile.Read(ref refilled) > 0);
        await cluster.WaitUntilAsync(() => nodes[1].Server.Chat.IsOnline("dave"), "node B has dave online");

        // Delivered live, the queued ones left bob's offline queue: his next login brings none.
        await bob.DisposeAsync();
        var again = await nodes[0].LoginAsync("bob");
        await alice.SendAsync("bob", "after", route: RoutePreference.Relay);
        var next = (await MessagesAsync(again, 1))[0];
        Assert.Equal(("after", false), (next.Text, next.Offline));
    }

    // Nodes A and C reach Redis directly, B through a proxy; the bus keeps about busLength entries.
    private static async Task<(TestServer[] Nodes, TcpProxy Proxy, IDatabase Redis)> StartThreeAsync(TestCluster cluster, int busLength, int nodeEntries)
    {
        var settings = TestCluster.FastSettings with { BusMaxLength = busLength };
        var proxy = cluster.AddProxy();
        var a = await cluster.AddNodeAsync("node-a", cluster.Redis.Configuration, settings);
        var redis = ((RedisMessageStore)a.Server.Options.MessageStore!).Database;

        // XADD MAXLEN ~ trims whole stream nodes: small ones make a small bus trim.
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(cluster.Redis.Configuration + ",allowAdmin=true"))
        {
            await admin.GetServer(admin.GetEndPoints()[0]).ConfigSetAsync("stream-node-max-entries", nodeEntries);
        }

        var b = await cluster.AddNodeAsync("node-b", proxy.Configuration, settings);
        var c = await cluster.AddNodeAsync("node-c", cluster.Redis.Configuration, settings);
        return ([a, b, c], proxy, redis);
    }

    // The next N messages a client receives, passing over presence and room notices.
    private static async Task<List<ChatMessage>> MessagesAsync(ChatClient client, int count)
    {
        var messages = new List<ChatMessage>(count);
        for (var seen = 0; messages.Count < count && seen < 10_000; seen++)
        {
            if (await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is ChatMessage message)
            {
                messages.Add(message);
            }
        }

        return messages;
    }
}
