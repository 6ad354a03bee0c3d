using System.Diagnostics;
using System.Net.Sockets;
using PeerChat.Cluster.Redis;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// Several servers on one Redis act as one chat (docs/CLUSTER.md, "Fan-out" and "Presence and
/// sessions"): in-process nodes on a real redis-server, clients over real sockets.
/// </summary>
public sealed class ClusterTests
{
    private static readonly string[] Users = ["alice", "bob", "carol"];

    [RedisFact]
    public async Task ThreeNodes_ListBroadcastRoomAndDirectMessages_CrossEveryPair_EachOnceAndInOrder()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var clients = new ChatClient[3];
        for (var k = 0; k < 3; k++)
        {
            clients[k] = await cluster.Nodes[k].LoginAsync(Users[k]);
        }

        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees(Users), "every node has all three online");
        foreach (var client in clients)
        {
            var list = await client.ListAsync();
            Assert.Equal(
                [("alice", "node-a"), ("bob", "node-b"), ("carol", "node-c")],
                list.Select(c => (c.UserName, c.Node!)).OrderBy(c => c.UserName, StringComparer.Ordinal));
            Assert.Equal(3, list.Select(c => c.ClientId).Distinct().Count());
        }

        // Broadcasts: three from each, every one to the two others, in each sender's order.
        for (var k = 0; k < 3; k++)
        {
            for (var i = 0; i < 3; i++)
            {
                var receipt = await clients[k].BroadcastAsync($"{Users[k]} says {i}");
                Assert.Equal(2, receipt.Recipients);
            }
        }

        for (var k = 0; k < 3; k++)
        {
            var got = await MessagesAsync(clients[k], 6);
            Assert.All(got, m => Assert.Equal(MessageKind.Broadcast, m.Kind));
            AssertInOrder(got, Users.Where(u => u != Users[k]), i => $"says {i}", 3);
        }

        // A room: each joins on its own node; every node learns every membership.
        for (var k = 0; k < 3; k++)
        {
            await clients[k].JoinAsync("ops");
        }

        await cluster.WaitUntilAsync(
            async () => (await Task.WhenAll(cluster.Nodes.Select(async n => (await n.Server.Chat.ListRoomsAsync("alice")).Rooms.SingleOrDefault()?.Members))).All(m => m == 3),
            "every node has the three members of ops");
        for (var k = 0; k < 3; k++)
        {
            for (var i = 0; i < 2; i++)
            {
                await clients[k].BroadcastAsync("ops", $"{Users[k]} in ops {i}", data: null);
            }
        }

        for (var k = 0; k < 3; k++)
        {
            var got = await MessagesAsync(clients[k], 4);
            Assert.All(got, m => Assert.Equal((MessageKind.Room, "ops"), (m.Kind, m.Room)));
            AssertInOrder(got, Users.Where(u => u != Users[k]), i => $"in ops {i}", 2);
        }

        // Direct messages across every ordered pair, relayed by the node that holds the receiver.
        for (var k = 0; k < 3; k++)
        {
            foreach (var to in Users.Where(u => u != Users[k]))
            {
                var receipt = await clients[k].SendAsync(to, $"{Users[k]} to {to}", route: RoutePreference.Relay);
                Assert.Equal((1, false), (receipt.Recipients, receipt.Queued));
            }
        }

        for (var k = 0; k < 3; k++)
        {
            var got = await MessagesAsync(clients[k], 2);
            Assert.All(got, m => Assert.Equal((MessageKind.Direct, Users[k]), (m.Kind, m.To)));
            Assert.Equal(
                Users.Where(u => u != Users[k]).Select(u => $"{u} to {Users[k]}").Order(StringComparer.Ordinal),
                got.Select(m => m.Text).Order(StringComparer.Ordinal));
        }

        // Nothing came twice: the next message each gets is the last one sent.
        await clients[0].BroadcastAsync("the end");
        await clients[1].SendAsync("alice", "the end", route: RoutePreference.Relay);
        foreach (var client in clients)
        {
            Assert.Equal("the end", (await MessagesAsync(client, 1))[0].Text);
        }
    }

    [RedisFact]
    public async Task ANodesOwnMessages_ReachItsSessionsOnce_NotAgainFromTheBus()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        var dave = await cluster.Nodes[0].LoginAsync("dave");
        var bob = await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "dave", "bob"), "both nodes have all three online");

        await alice.BroadcastAsync("to all");
        await alice.SendAsync("dave", "to dave", route: RoutePreference.Relay);
        Assert.Equal("to all", (await MessagesAsync(bob, 1))[0].Text);

        // After alice's on the bus: when dave has it, node A has read past hers.
        await bob.BroadcastAsync("from bob");
        Assert.Equal(["to all", "to dave", "from bob"], (await MessagesAsync(dave, 3)).Select(m => m.Text));
        await bob.SendAsync("dave", "the end", route: RoutePreference.Relay);
        Assert.Equal("the end", (await MessagesAsync(dave, 1))[0].Text);
    }

    [RedisFact]
    public async Task ASecondLoginOnAnotherNode_ReplacesTheFirst_WithSessionReplaced()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var first = await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("bob"), "every node has bob online");

        var second = await cluster.Nodes[0].LoginAsync("bob");
        var notice = await NextAsync<ChatNotice>(first);

        Assert.Equal(NoticeCodes.SessionReplaced, notice.Code);
        await first.Completion.WaitAsync(TestServer.Patience).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await cluster.WaitUntilAsync(() => cluster.Nodes[2].Server.GetClients().SingleOrDefault()?.Node == "node-a", "node-c lists bob on node-a only");
        var carol = await cluster.Nodes[2].LoginAsync("carol");
        var listed = await carol.ListAsync();
        Assert.Equal([("bob", "node-a", second.Session!.ClientId), ("carol", "node-c", carol.Session!.ClientId)], listed.Select(c => (c.UserName, c.Node!, c.ClientId)).OrderBy(c => c.UserName, StringComparer.Ordinal));
        Assert.Equal(1, (await carol.SendAsync("bob", "to the new one", route: RoutePreference.Relay)).Recipients);
        Assert.Equal("to the new one", (await MessagesAsync(second, 1))[0].Text);
    }

    [RedisFact]
    public async Task ASilentNodesUsers_GoOfflineForTheOthers_WithinTheHeartbeat_AndMessagesToThemAreQueued()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice", new ChatClientOptions { ReceivePresence = true });
        await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "both nodes have both online");
        Assert.True((await NextAsync<ChatPresence>(alice)).Joined);

        // As a killed process would: no more heartbeats, no goodbye.
        var silent = Stopwatch.StartNew();
        await TestCluster.BackplaneOf(cluster.Nodes[1]).AbandonAsync();
        var left = await NextAsync<ChatPresence>(alice);

        Assert.Equal((false, "bob"), (left.Joined, left.UserName));
        Assert.True(silent.Elapsed < TimeSpan.FromSeconds(30), $"bob was online for {silent.Elapsed} after his node went silent");
        Assert.DoesNotContain(await alice.ListAsync(), c => c.UserName == "bob");
        var queued = await alice.SendAsync("bob", "while you were away", route: RoutePreference.Relay);
        Assert.Equal((0, true), (queued.Recipients, queued.Queued));
    }

    [RedisFact]
    public async Task ANodeKilledWithSigkill_ItsUsersGoOffline_MessagesToThemAreQueued_AndReadInOrderOnAnotherNode()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var nodeA = cluster.Nodes[0];
        await nodeA.EnsureUserAsync("bob");
        var alice = await nodeA.LoginAsync("alice", new ChatClientOptions { ReceivePresence = true });
        using var nodeB = Process.Start(new ProcessStartInfo("dotnet", [
            Path.Combine(AppContext.BaseDirectory, "PeerChat.FaultHost.dll"), "cluster-node", cluster.Redis.Configuration, cluster.Prefix, "node-b", cluster.Users.Path])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            var ready = await nodeB.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience);
            Assert.StartsWith("READY ", ready);
            await using (var bobOnB = await ChatClient.ConnectAsync("127.0.0.1", int.Parse(ready!["READY ".Length..], System.Globalization.CultureInfo.InvariantCulture)))
            {
                await bobOnB.LoginAsync("bob", TestServer.Password);
                Assert.Equal((true, "bob"), Presence(await NextAsync<ChatPresence>(alice)));
                Assert.Equal(1, (await alice.SendAsync("bob", "live", route: RoutePreference.Relay)).Recipients);
                Assert.Equal("live", (await MessagesAsync(bobOnB, 1))[0].Text);

                var killed = Stopwatch.StartNew();
                nodeB.Kill();
                await nodeB.WaitForExitAsync().WaitAsync(TestServer.Patience);
                Assert.Equal((false, "bob"), Presence(await NextAsync<ChatPresence>(alice)));
                Assert.True(killed.Elapsed < TimeSpan.FromSeconds(30), $"bob was online for {killed.Elapsed} after his node was killed");
            }

            for (var i = 0; i < 3; i++)
            {
                Assert.True((await alice.SendAsync("bob", $"queued {i}", route: RoutePreference.Relay)).Queued);
            }

            var bobOnA = await nodeA.LoginAsync("bob");
            var queued = await MessagesAsync(bobOnA, 3);
            Assert.Equal(["queued 0", "queued 1", "queued 2"], queued.Select(m => m.Text));
            Assert.All(queued, m => Assert.True(m.Offline));
        }
        finally
        {
            if (!nodeB.HasExited)
            {
                nodeB.Kill();
            }
        }
    }

    [RedisFact]
    public async Task AfterRedisRestarts_NodesReadOnFromWhereTheyStopped_AndMessagesCrossOnceEach()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        var bob = await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "both nodes have both online");
        await alice.BroadcastAsync("before");
        Assert.Equal("before", (await MessagesAsync(bob, 1))[0].Text);

        // Down long enough for node B's reads to fail (each after StackExchange.Redis's 5 s timeout):
        // the second read that ends after the stop began after it, so it failed.
        var readsOnB = 0;
        var failedReads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TestCluster.BackplaneOf(cluster.Nodes[1]).Processed += () =>
        {
            if (Interlocked.Increment(ref readsOnB) == 2)
            {
                failedReads.TrySetResult();
            }
        };
        await cluster.Redis.StopAsync();
        await failedReads.Task.WaitAsync(TestServer.Patience);
        await cluster.Redis.RestartAsync();

        // Until the nodes have reconnected a broadcast fails with store_unavailable (and reaches
        // nobody on the other node); each retry waits for the nodes' next bus read.
        SendReceipt? after = null;
        for (var attempt = 0; after is null && attempt < 200; attempt++)
        {
            try
            {
                after = await alice.BroadcastAsync("after");
            }
            catch (ChatClientException ex) when (ex.Code == ErrorCodes.StoreUnavailable)
            {
                await cluster.NextBusReadAsync();
            }
        }

        Assert.NotNull(after);

        // Read on from the last id: "before" is not read again, "after" once. (Broadcasts: a
        // direct message could find bob swept for a moment while the heartbeats come back.)
        Assert.Equal("after", (await MessagesAsync(bob, 1))[0].Text);
        await alice.BroadcastAsync("the end");
        Assert.Equal("the end", (await MessagesAsync(bob, 1))[0].Text);
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "both nodes have both online again");
    }

    [RedisFact]
    public async Task ANodeThatCannotBindItsPort_LeavesTheClusterAgain()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new PeerChat.Core.Chat.MessageStoreSettings(), cluster.Prefix);
        var backplane = RedisChatBackplane.Create(store, "node-z", TestCluster.FastSettings);
        var server = new ChatServer(TestServer.DefaultOptions with { Port = cluster.Nodes[0].Port, MessageStore = store, Backplane = backplane }, cluster.Users);

        Assert.Throws<SocketException>(server.Start);

        var nodes = await store.Database.SetMembersAsync(cluster.Prefix + "nodes");
        Assert.Equal(["node-a"], nodes.Select(n => (string)n!));
        Assert.False(await store.Database.KeyExistsAsync(cluster.Prefix + "n:node-z"));
    }

    private static (bool, string) Presence(ChatPresence presence) => (presence.Joined, presence.UserName);

    // The next N messages a client receives, passing over presence and room notices.
    private static async Task<List<ChatMessage>> MessagesAsync(ChatClient client, int count)
    {
        var messages = new List<ChatMessage>(count);
        for (var seen = 0; messages.Count < count && seen < 1000; seen++)
        {
            if (await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is ChatMessage message)
            {
                messages.Add(message);
            }
        }

        return messages;
    }

    internal static async Task<T> NextAsync<T>(ChatClient client)
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

    // Each sender's messages arrived once each and in the order sent.
    private static void AssertInOrder(List<ChatMessage> got, IEnumerable<string> senders, Func<int, string> text, int each)
    {
        foreach (var sender in senders)
        {
            Assert.Equal(Enumerable.Range(0, each).Select(i => $"{sender} {text(i)}"), got.Where(m => m.From == sender).Select(m => m.Text));
        }

        Assert.Equal(got.Count, got.Select(m => m.MessageId).Distinct().Count());
    }
}
