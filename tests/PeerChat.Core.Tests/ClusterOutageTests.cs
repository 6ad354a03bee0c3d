using System.Diagnostics;
using PeerChat.Cluster.Redis;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;
using Xunit.Abstractions;
using ReceivedMessage = PeerChat.Core.Client.ChatMessage;

namespace PeerChat.Core.Tests;

/// <summary>
/// Issue 14's fault "Redis stopped for 10 s and restarted while clients send" (docs/CLUSTER.md,
/// "When Redis goes away"): three nodes on a real redis-server with its append-only file, which is
/// killed and started again on the same port and folder while a sender on each node sends
/// broadcasts, room and direct messages.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ClusterOutageTests(ITestOutputHelper output)
{
    private static readonly string[] Senders = ["alice", "bob", "carol"];
    private static readonly string[] Watchers = ["dave", "erin", "frank"];
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);

    // StackExchange.Redis backs off between reconnects: coming back can take longer than a request.
    private static readonly TimeSpan ComebackPatience = TimeSpan.FromSeconds(90);
    private const int MostPerSender = 2000;
    private const int SuccessesPerPhase = 10;

    [RedisFact]
    public async Task RedisDownFor10s_NodesServeLocalUsers_SendersGetStoreUnavailable_AndEveryAcknowledgedMessageIsDeliveredAndStoredOnce()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        var senders = new ChatClient[3];
        var watchers = new ChatClient[3];
        for (var k = 0; k < 3; k++)
        {
            senders[k] = await cluster.Nodes[k].LoginAsync(Senders[k]);
            watchers[k] = await cluster.Nodes[k].LoginAsync(Watchers[k]);
        }

        var everyone = Senders.Concat(Watchers).ToArray();
        foreach (var client in senders.Concat(watchers))
        {
            await client.JoinAsync("ops");
        }

        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees(everyone), "every node has all six online");
        await cluster.WaitUntilAsync(
            async () => (await Task.WhenAll(cluster.Nodes.Select(async n => (await n.Server.Chat.ListRoomsAsync("alice")).Rooms.SingleOrDefault()?.Members))).All(m => m == 6),
            "every node has the six members of ops");

        var log = new SendLog();
        using var stopSending = new CancellationTokenSource();
        var sending = Enumerable.Range(0, 3).Select(k => Task.Run(() => SendUntilStoppedAsync(k, senders[k], log, stopSending.Token))).ToArray();
        try
        {
            await log.WaitUntilAsync(() => Enumerable.Range(0, 3).All(k => log.Successes(k, after: 0) >= SuccessesPerPhase), "every sender has sent before the outage", TestServer.Patience);

            // A real stop of redis-server (SIGKILL): what it acknowledged is in its append-only file.
            var down = Stopwatch.StartNew();
            var stoppedAt = log.Count;
            await cluster.Redis.StopAsync();
            await log.WaitUntilAsync(() => Enumerable.Range(0, 3).All(k => log.Errors(k, after: stoppedAt) >= 1), "every sender has had an error", ComebackPatience);

            // The nodes keep serving their local users: answered from memory, connections kept.
            for (var k = 0; k < 3; k++)
            {
                var listed = await watchers[k].ListAsync().WaitAsync(TestServer.Patience);
                Assert.Contains(listed, c => c.UserName == Watchers[k]);
                Assert.False(watchers[k].Completion.IsCompleted, $"{Watchers[k]} was disconnected during the outage");
            }

            // The outage's length is what the issue asks for, not a synchronisation.
            if (down.Elapsed < Outage)
            {
                await Task.Delay(Outage - down.Elapsed);
            }

            var restartedAt = log.Count;
            await cluster.Redis.RestartAsync();
            await log.WaitUntilAsync(() => Enumerable.Range(0, 3).All(k => log.Successes(k, after: restartedAt) >= SuccessesPerPhase), "every sender has sent after Redis returned", ComebackPatience);
        }
        finally
        {
            await stopSending.CancelAsync();
            await Task.WhenAll(sending).WaitAsync(ComebackPatience);
        }

        // A last broadcast from each sender: after it, in each receiver's stream, nothing of its sender is still to come.
        for (var k = 0; k < 3; k++)
        {
            await senders[k].BroadcastAsync($"end {k}");
        }

        var received = new Dictionary<string, List<ReceivedMessage>>();
        for (var k = 0; k < 3; k++)
        {
            received[Senders[k]] = await ReceiveUntilEndsAsync(senders[k], Senders.Where(s => s != Senders[k]).Count());
            received[Watchers[k]] = await ReceiveUntilEndsAsync(watchers[k], 3);
        }

        var outcomes = log.All();
        output.WriteLine($"{outcomes.Count(o => o.MessageId is not null)} acknowledged, {outcomes.Count(o => o.Error is not null)} refused ({string.Join(", ", outcomes.Where(o => o.Error is not null).Select(o => o.Text))}); received: {string.Join(", ", received.Select(r => $"{r.Key} {r.Value.Count}"))}");
        Assert.All(outcomes.Where(o => o.Error is not null), o => Assert.Equal(ErrorCodes.StoreUnavailable, o.Error));

        // Nobody got any message twice; every receiver of an acknowledged message got it.
        foreach (var (user, messages) in received)
        {
            var twice = messages.GroupBy(m => m.MessageId).Where(g => g.Count() > 1).Select(g => g.First().Text).ToList();
            Assert.True(twice.Count == 0, $"{user} got these more than once: {string.Join(", ", twice)}");
        }

        var acknowledged = outcomes.Where(o => o.MessageId is not null).ToList();
        var missing = acknowledged
            .SelectMany(o => Receivers(o, everyone).Where(user => !received[user].Any(m => m.MessageId == o.MessageId)).Select(user => $"{o.Text} for {user}"))
            .ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged messages did not arrive: {string.Join(", ", missing.Take(20))}");

        // Every acknowledged message is in its conversation's history once; no message is there twice.
        await using var store = await RedisMessageStore.ConnectAsync(cluster.Redis.Configuration, new MessageStoreSettings(), cluster.Prefix);
        foreach (var conversation in acknowledged.Select(o => o.Conversation).Distinct())
        {
            var history = (await store.ReadHistoryAsync(conversation, new HistoryQuery(Limit: 10_000))).Messages.Select(m => m.MessageId).ToList();
            Assert.Equal(history.Count, history.Distinct(StringComparer.Ordinal).Count());
            var notStored = acknowledged.Where(o => o.Conversation == conversation && !history.Contains(o.MessageId!)).Select(o => o.Text).ToList();
            Assert.True(notStored.Count == 0, $"acknowledged but not in the history of {conversation.Id}: {string.Join(", ", notStored)}");
        }

        Assert.All(senders.Concat(watchers), client => Assert.False(client.Completion.IsCompleted));
    }

    [RedisFact]
    public async Task ALoginAndALogoutWhileRedisIsAway_ReachTheOtherNodes_WhenItReturns_ThoughNoHeartbeatExpired()
    {
        // Heartbeats that outlive the outage: no sweep, so nothing else brings the sessions anew.
        await using var cluster = await TestCluster.StartAsync(2, TestCluster.FastSettings with { HeartbeatTimeToLive = TimeSpan.FromMinutes(5) });
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        var bob = await cluster.Nodes[1].LoginAsync("bob");
        await cluster.Nodes[1].EnsureUserAsync("carol");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("alice", "bob"), "both nodes have alice and bob online");

        await cluster.Redis.StopAsync();
        await bob.LogoutAsync();
        var carol = await cluster.Nodes[1].LoginAsync("carol");

        // Until a read of node B that began after both has failed (StackExchange.Redis's timeout):
        // then their publishing has failed too, not merely waited for Redis.
        var reads = 0;
        var failedReads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TestCluster.BackplaneOf(cluster.Nodes[1]).Processed += () =>
        {
            if (Interlocked.Increment(ref reads) == 2)
            {
                failedReads.TrySetResult();
            }
        };
        await failedReads.Task.WaitAsync(ComebackPatience);
        await cluster.Redis.RestartAsync();

        await cluster.WaitUntilAsync(() => cluster.Nodes[0].Server.Chat.IsOnline("carol") && !cluster.Nodes[0].Server.Chat.IsOnline("bob"), "node A sees carol's login and bob's logout");
        Assert.Equal(["alice", "carol"], (await alice.ListAsync()).Select(c => c.UserName).Order(StringComparer.Ordinal));
        var toCarol = await alice.SendAsync("carol", "after the outage", route: RoutePreference.Relay);
        Assert.Equal((1, false), (toCarol.Recipients, toCarol.Queued));
        var toBob = await alice.SendAsync("bob", "after the outage", route: RoutePreference.Relay);
        Assert.Equal((0, true), (toBob.Recipients, toBob.Queued));
        Assert.False(carol.Completion.IsCompleted);
    }

    // In turn: a broadcast, a room message, and direct messages to a watcher and a sender on the next node and to the watcher on its own.
    private static async Task SendUntilStoppedAsync(int k, ChatClient client, SendLog log, CancellationToken stop)
    {
        var next = (k + 1) % 3;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        for (var i = 0; i < MostPerSender && !stop.IsCancellationRequested && DateTime.UtcNow < deadline; i++)
        {
            var text = $"{Senders[k]} {i}";
            var (conversation, to) = (i % 5) switch
            {
                0 => (ConversationKey.Everyone, null),
                1 => (ConversationKey.ForRoom("ops"), null),
                2 => (ConversationKey.Direct(Senders[k], Watchers[next]), Watchers[next]),
                3 => (ConversationKey.Direct(Senders[k], Senders[next]), Senders[next]),
                _ => (ConversationKey.Direct(Senders[k], Watchers[k]), Watchers[k]),
            };
            try
            {
                // Not cancelled once sent: a send cut short would have no outcome to check.
                var receipt = conversation.Kind switch
                {
                    ConversationKind.Everyone => await client.BroadcastAsync(text, cancellationToken: CancellationToken.None),
                    ConversationKind.Room => await client.BroadcastAsync("ops", text, data: null, CancellationToken.None),
                    _ => await client.SendAsync(to!, text, route: RoutePreference.Relay, cancellationToken: CancellationToken.None),
                };
                log.Add(new SendOutcome(k, text, conversation, to, receipt.MessageId, Error: null));
            }
            catch (ChatClientException ex)
            {
                log.Add(new SendOutcome(k, text, conversation, to, MessageId: null, ex.Code));
            }
        }
    }

    private static IEnumerable<string> Receivers(SendOutcome outcome, string[] everyone) =>
        outcome.To is { } to ? [to] : everyone.Where(user => user != Senders[outcome.Sender]);

    // Every message a client receives until it has the last broadcast of each sender but itself.
    private static async Task<List<ReceivedMessage>> ReceiveUntilEndsAsync(ChatClient client, int ends)
    {
        var messages = new List<ReceivedMessage>();
        var seen = 0;
        for (var events = 0; seen < ends && events < 200_000; events++)
        {
            if (await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is ReceivedMessage message)
            {
                messages.Add(message);
                if (message.Text.StartsWith("end ", StringComparison.Ordinal))
                {
                    seen++;
                }
            }
        }

        Assert.Equal(ends, seen);
        return messages;
    }

    private sealed record SendOutcome(int Sender, string Text, ConversationKey Conversation, string? To, string? MessageId, string? Error);

    /// <summary>What the senders were told, in order; tests wait on it changing, not on a clock.</summary>
    private sealed class SendLog
    {
        private readonly List<SendOutcome> _outcomes = [];
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Count
        {
            get
            {
                lock (_outcomes)
                {
                    return _outcomes.Count;
                }
            }
        }

        public void Add(SendOutcome outcome)
        {
            lock (_outcomes)
            {
                _outcomes.Add(outcome);
            }

            Interlocked.Exchange(ref _changed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        public List<SendOutcome> All()
        {
            lock (_outcomes)
            {
                return [.. _outcomes];
            }
        }

        public int Successes(int sender, int after) => Since(after).Count(o => o.Sender == sender && o.MessageId is not null);

        public int Errors(int sender, int after) => Since(after).Count(o => o.Sender == sender && o.Error is not null);

        public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan patience)
        {
            var deadline = DateTime.UtcNow + patience;
            while (true)
            {
                var changed = Volatile.Read(ref _changed).Task;
                if (condition())
                {
                    return;
                }

                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"Timed out waiting until {what}; sent so far: {string.Join(", ", All().TakeLast(30).Select(o => $"{o.Text}={o.Error ?? "sent"}"))}");
                }

                await changed.WaitAsync(remaining).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        private List<SendOutcome> Since(int after)
        {
            lock (_outcomes)
            {
                return _outcomes.Skip(after).ToList();
            }
        }
    }
}
