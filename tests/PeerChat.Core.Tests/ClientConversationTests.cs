using System.Threading.Channels;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;
using ChatMessage = PeerChat.Core.Client.ChatMessage;

namespace PeerChat.Core.Tests;

/// <summary>
/// The client library's side of rooms, history, read markers and offline delivery, against a real
/// server with a real SQLite store in a temp folder.
/// </summary>
public sealed class ClientConversationTests
{
    private static readonly TimeSpan Patience = TestServer.Patience;

    [Fact]
    public async Task Rooms_JoinListAndBroadcast_ReachTheMembersOnly()
    {
        using var folder = new TemporaryFolder();
        await using var store = OpenStore(folder);
        await using var server = await TestServer.StartAsync(o => o with { MessageStore = store }, folder);
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        var carol = await server.LoginAsync("carol");
        var bobInbox = new Inbox(bob);
        var carolInbox = new Inbox(carol);

        var created = await alice.JoinAsync("Ops");
        var again = await bob.JoinAsync("ops");
        var receipt = await alice.BroadcastAsync("ops", "deploy at six", null);

        Assert.True(created.Created);
        Assert.False(again.Created);
        Assert.Equal("Ops", again.Room);
        Assert.Equal(1, receipt.Recipients);
        var atBob = await bobInbox.NextMessageAsync();
        Assert.Equal((MessageKind.Room, "Ops", "deploy at six", receipt.MessageId), (atBob.Kind, atBob.Room, atBob.Text, atBob.MessageId));
        var rooms = await carol.ListRoomsAsync();
        var ops = Assert.Single(rooms);
        Assert.Equal(("Ops", 2, 2, false), (ops.Room, ops.Members, ops.Online, ops.Joined));
        var refused = await Assert.ThrowsAsync<ChatClientException>(() => carol.BroadcastAsync("ops", "let me in", null));
        Assert.Equal(ErrorCodes.NotInRoom, refused.Code);
        Assert.Empty(carolInbox.Messages);
    }

    [Fact]
    public async Task ReadHistory_PagesForTheCaller_EveryMessageOnceInOrder_BothWays()
    {
        using var folder = new TemporaryFolder();
        await using var store = OpenStore(folder);
        // Pages of 7: thirty messages take five pages, with a short one at the end.
        await using var server = await TestServer.StartAsync(o => o with { MessageStore = store, HistoryPageMax = 7, FloodBurst = 1000, FloodRate = 1000 }, folder);
        var alice = await server.LoginAsync("alice");
        await alice.JoinAsync("ops");
        var sent = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            sent.Add((await alice.BroadcastAsync("ops", $"line {i}", null)).MessageId);
        }

        var all = await ReadAsync(alice, ConversationRef.ForRoom("ops"), new ChatHistoryQuery(), count: null);
        var latest = await ReadAsync(alice, ConversationRef.ForRoom("ops"), new ChatHistoryQuery(), count: 10);
        var before = await ReadAsync(alice, ConversationRef.ForRoom("ops"), new ChatHistoryQuery(Before: sent[20]), count: 15);
        var allBefore = await ReadAsync(alice, ConversationRef.ForRoom("ops"), new ChatHistoryQuery(Before: sent[20]), count: null);
        var after = await ReadAsync(alice, ConversationRef.ForRoom("ops"), new ChatHistoryQuery(After: sent[3]), count: 9);

        Assert.Equal(7, alice.Hello.HistoryMaxLimit);
        Assert.Equal(sent, all.Select(m => m.MessageId));
        Assert.Equal(sent[20..], latest.Select(m => m.MessageId));
        Assert.Equal(sent[5..20], before.Select(m => m.MessageId));
        Assert.Equal(sent[..20], allBefore.Select(m => m.MessageId));
        Assert.Equal(sent[4..13], after.Select(m => m.MessageId));
        Assert.All(all, m => Assert.Equal(m.SentAt, m.ReceivedAt));
    }

    [Fact]
    public async Task MarkRead_AndConversations_CountWhatIsUnread()
    {
        using var folder = new TemporaryFolder();
        await using var store = OpenStore(folder);
        await using var server = await TestServer.StartAsync(o => o with { MessageStore = store }, folder);
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        await alice.JoinAsync("ops");
        await bob.JoinAsync("ops");
        await alice.BroadcastAsync("ops", "one", null);
        var second = await alice.BroadcastAsync("ops", "two", null);
        await alice.SendAsync("bob", "psst", route: RoutePreference.Relay);

        var before = await bob.ConversationsAsync();
        await bob.MarkReadAsync(ConversationRef.ForRoom("ops"), second.MessageId);
        var after = await bob.ConversationsAsync();

        Assert.Equal(2, before.Single(c => c.Conversation.Room == "ops").Unread);
        Assert.Equal(1, before.Single(c => c.Conversation.With == "alice").Unread);
        Assert.Equal(0, after.Single(c => c.Conversation.Room == "ops").Unread);
        Assert.Equal(second.MessageId, after.Single(c => c.Conversation.Room == "ops").ReadUpTo);
        Assert.Equal(0, (await bob.ListRoomsAsync()).Single().Unread);
    }

    [Fact]
    public async Task Offline_QueuedWhileAway_ComeAgainUntilConfirmed_AndTheInboxKeepsEachOnce()
    {
        using var folder = new TemporaryFolder();
        await using var store = OpenStore(folder);
        await using var server = await TestServer.StartAsync(o => o with { MessageStore = store }, folder);
        var bob = await server.LoginAsync("bob");
        await bob.LogoutAsync();
        var alice = await server.LoginAsync("alice");

        // Auto: no direct connection to someone offline, so the server queues it.
        var receipts = new List<SendReceipt>();
        foreach (var text in new[] { "first", "second", "third" })
        {
            receipts.Add(await alice.SendAsync("bob", text));
        }

        // One session's inbox over two connections; the first one's confirmation is lost.
        var events = Channel.CreateUnbounded<ChatEvent>();
        ChatClient? confirmOn = null;
        // The inbox may confirm in steps (as the messages reach it); what matters is that it gets to the last.
        var confirmedLast = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbox = new ChatInbox(events.Reader, confirmOffline: async (upTo, ct) =>
        {
            if (confirmOn is { } client)
            {
                await client.ConfirmReceivedAsync(upTo, ct);
                if (upTo == receipts[^1].MessageId)
                {
                    confirmedLast.TrySetResult();
                }
            }
        });
        var first = await server.LoginAsync("bob");
        Assert.Equal(3, first.Session!.Queued);
        await ForwardAsync(first, events.Writer, count: 3);
        var kept = await inbox.TakeAsync(_ => true, 3, Patience, waitForAll: true, CancellationToken.None);
        await first.DisposeAsync();

        var second = await server.LoginAsync("bob");
        confirmOn = second;
        Assert.Equal(3, second.Session!.Queued);
        await ForwardAsync(second, events.Writer, count: 3);
        await confirmedLast.Task.WaitAsync(Patience);
        await second.DisposeAsync();

        // Confirmed though left out: the third login finds the queue empty.
        var third = await WaitForEmptyQueueAsync(server, "bob");

        Assert.All(receipts, r => Assert.True(r.Queued && r.Recipients == 0, $"receipt {r}"));
        Assert.Equal(receipts.Select(r => r.MessageId), kept.Cast<ChatMessage>().Select(m => m.MessageId));
        Assert.All(kept.Cast<ChatMessage>(), m => Assert.True(m.Offline && m.Kind == MessageKind.Direct, $"{m}"));
        Assert.True(kept.Cast<ChatMessage>().All(m => m.SentAt < m.ReceivedAt), "the original SentAt");
        Assert.Equal(3, inbox.Duplicates);
        Assert.Equal(0, inbox.Count);
        Assert.Equal(0, third.Session!.Queued);
        events.Writer.Complete();
        await inbox.Pump;
    }

    [Fact]
    public async Task Offline_PastTheQueueLimit_TheNewestComeInOrder_AfterANoticeOfTheDropped()
    {
        using var folder = new TemporaryFolder();
        await using var store = OpenStore(folder, new MessageStoreSettings { OfflineQueueLimit = 1000 });
        await using var server = await TestServer.StartAsync(o => o with { MessageStore = store, FloodBurst = 2000, FloodRate = 100_000, FloodBytesBurst = 1 << 24, FloodBytesRate = 1 << 24 }, folder);
        var bob = await server.LoginAsync("bob");
        await bob.LogoutAsync();
        var alice = await server.LoginAsync("alice");
        var sent = await Task.WhenAll(Enumerable.Range(0, 1200).Select(i => alice.SendAsync("bob", $"n{i}", route: RoutePreference.Relay)));

        // More than one batch of the server's (498): each comes once the inbox confirmed the last.
        var again = await server.LoginAsync("bob");
        var inbox = new ChatInbox(again);
        var arrived = await inbox.TakeAsync(_ => true, 1001, Patience, waitForAll: true, CancellationToken.None);

        var notice = Assert.IsType<ChatNotice>(arrived[0]);
        Assert.Equal((NoticeCodes.OfflineDropped, 200L, false), (notice.Code, notice.Dropped, notice.ClosesConnection));
        var order = sent.Select(r => r.MessageId).ToList();
        Assert.Equal(order[200..], arrived.Skip(1).Cast<ChatMessage>().Select(m => m.MessageId));
        await again.DisposeAsync();
        Assert.Equal(0, (await WaitForEmptyQueueAsync(server, "bob")).Session!.Queued);
    }

    [Fact]
    public async Task WithoutAStore_TheClientSaysStoreDisabled_WithoutAsking()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");

        var join = await Assert.ThrowsAsync<ChatClientException>(() => alice.JoinAsync("ops"));
        var history = await Assert.ThrowsAsync<ChatClientException>(() => alice.HistoryAsync(ConversationRef.Everyone, new ChatHistoryQuery()));

        Assert.Equal(ErrorCodes.StoreDisabled, join.Code);
        Assert.Equal(ErrorCodes.StoreDisabled, history.Code);
        Assert.False(alice.Hello.Supports(ServerExtensions.Rooms));
    }

    private static SqliteMessageStore OpenStore(TemporaryFolder folder, MessageStoreSettings? settings = null) =>
        SqliteMessageStore.Open(Path.Combine(folder.Path, "messages.db"), settings ?? new MessageStoreSettings());

    private static async Task<List<ChatMessage>> ReadAsync(ChatClient client, ConversationRef conversation, ChatHistoryQuery query, int? count)
    {
        var messages = new List<ChatMessage>();
        await foreach (var message in client.ReadHistoryAsync(conversation, query, count).WithCancellation(new CancellationTokenSource(Patience).Token))
        {
            messages.Add(message);
        }

        return messages;
    }

    /// <summary>Passes on <paramref name="count"/> messages a connection received, as a session's reconnecting client does.</summary>
    private static async Task ForwardAsync(ChatClient client, ChannelWriter<ChatEvent> writer, int count)
    {
        using var timeout = new CancellationTokenSource(Patience);
        for (var forwarded = 0; forwarded < count;)
        {
            var chatEvent = await client.Events.ReadAsync(timeout.Token);
            if (chatEvent is ChatMessage)
            {
                await writer.WriteAsync(chatEvent, timeout.Token);
                forwarded++;
            }
        }
    }

    /// <summary>
    /// Logs in until the queue is empty: a confirmation has no reply, so the only sign that it was
    /// taken is the next login's <c>queued</c>. Bounded in tries and time.
    /// </summary>
    private static async Task<ChatClient> WaitForEmptyQueueAsync(TestServer server, string user)
    {
        // A confirmation is not answered, so its commit (an fsync, which a busy disk can hold for
        // hundreds of milliseconds) may still be coming: logins are tried until Patience, not for a
        // number of tries, which a fast machine used up in 150 ms. The count only bounds the loop.
        var deadline = DateTime.UtcNow + Patience;
        for (var tries = 1; ; tries++)
        {
            var client = await server.LoginAsync(user);
            if (client.Session!.Queued == 0 || DateTime.UtcNow > deadline || tries == 100_000)
            {
                return client;
            }

            await client.DisposeAsync();
        }
    }

    /// <summary>A ChatInbox on a connection, with the waits the tests need.</summary>
    private sealed class Inbox(ChatClient client)
    {
        private readonly ChatInbox _inbox = new(client);

        public IEnumerable<ChatMessage> Messages => _inbox.TakeAsync(e => e is ChatMessage, int.MaxValue, TimeSpan.Zero, false, CancellationToken.None).GetAwaiter().GetResult().Cast<ChatMessage>();

        public async Task<ChatMessage> NextMessageAsync() =>
            (ChatMessage)Assert.Single(await _inbox.TakeAsync(e => e is ChatMessage, 1, Patience, waitForAll: false, CancellationToken.None));
    }
}
