using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;

namespace PeerChat.Core.Tests;

/// <summary>
/// The store contract, against each store for real (a SQLite file, a redis-server of the test's
/// own): paging, offline queues, membership, read markers. SQLite's faults are in
/// MessageStoreFaultTests; retention is in MessageStoreRetentionTests.
/// </summary>
public sealed class MessageStoreTests
{
    private static readonly ConversationKey Ops = ConversationKey.ForRoom("ops");

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task PagingBackwardsWithBefore_WalksEveryMessageOnce_OldestFirstInEachPage(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        var ids = await StoreFiles.FillAsync(store, Ops, 347);
        await StoreFiles.FillAsync(store, ConversationKey.Everyone, 20);

        var seen = new List<string>();
        var page = await store.ReadHistoryAsync(Ops, new HistoryQuery(50));
        var pages = 1;
        while (true)
        {
            seen.InsertRange(0, page.Messages.Select(m => m.MessageId));
            if (page.Complete)
            {
                break;
            }

            Assert.True(pages++ < 20, "paging did not end");
            page = await store.ReadHistoryAsync(Ops, new HistoryQuery(50, Before: page.Messages[0].MessageId));
        }

        Assert.Equal(ids, seen);
        Assert.Equal(7, pages);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task PagingForwardsWithAfter_WalksEveryMessageOnce_AndTheLastPageIsComplete(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        var ids = await StoreFiles.FillAsync(store, Ops, 300);
        await StoreFiles.FillAsync(store, ConversationKey.ForRoom("other"), 20);

        var seen = new List<string> { ids[0] };
        HistoryPage page;
        do
        {
            page = await store.ReadHistoryAsync(Ops, new HistoryQuery(37, After: seen[^1]));
            Assert.True(page.Messages.Count == 37 || page.Complete, "a short page that is not the last");
            seen.AddRange(page.Messages.Select(m => m.MessageId));
            Assert.True(seen.Count <= ids.Count, "paging went past the end");
        }
        while (!page.Complete);

        Assert.Equal(ids, seen);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task TheLatestPage_IsTheNewestK_AndCompleteOnlyWhenNothingIsOlder(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        var ids = await StoreFiles.FillAsync(store, Ops, 10);

        var latest = await store.ReadHistoryAsync(Ops, new HistoryQuery(4));
        var all = await store.ReadHistoryAsync(Ops, new HistoryQuery(10));
        var exact = await store.ReadHistoryAsync(Ops, new HistoryQuery(4, After: ids[5]));
        var none = await store.ReadHistoryAsync(ConversationKey.ForRoom("empty"), new HistoryQuery(4));

        Assert.Equal(ids[6..], latest.Messages.Select(m => m.MessageId));
        Assert.False(latest.Complete);
        Assert.Equal(ids, all.Messages.Select(m => m.MessageId));
        Assert.True(all.Complete);
        Assert.Equal(ids[6..], exact.Messages.Select(m => m.MessageId));
        Assert.True(exact.Complete);
        Assert.Empty(none.Messages);
        Assert.True(none.Complete);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task Since_GivesTheMessagesFromThatTimeOn_OldestFirst(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var messages = Enumerable.Range(0, 30).Select(i => StoreFiles.Message(Ops, "alice", $"m{i}", start.AddMinutes(i))).ToList();
        foreach (var message in messages)
        {
            await store.AppendAsync(message);
        }

        var page = await store.ReadHistoryAsync(Ops, new HistoryQuery(5, Since: start.AddMinutes(20)));
        var rest = await store.ReadHistoryAsync(Ops, new HistoryQuery(50, Since: start.AddMinutes(20)));

        Assert.Equal(messages[20..25], page.Messages);
        Assert.False(page.Complete);
        Assert.Equal(messages[20..], rest.Messages);
        Assert.True(rest.Complete);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task AMessage_ReadsBackAsItWasAppended(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        var sent = new ChatMessage(MessageIds.Next(), ConversationKey.Direct("Alice", "bob"), "Alice", "c7", "Bob", "héllo\n😀", """{"a":[1,2]}""", "d-1", new DateTimeOffset(2026, 11, 2, 3, 4, 5, 678, TimeSpan.Zero).AddTicks(9));

        await store.AppendAsync(sent);
        var page = await store.ReadHistoryAsync(ConversationKey.Direct("bob", "alice"), new HistoryQuery(10));

        Assert.Equal(sent, Assert.Single(page.Messages));
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task ACursorFromAnotherConversation_OrUnknown_IsRefused(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        await StoreFiles.FillAsync(store, Ops, 5);
        var elsewhere = await StoreFiles.FillAsync(store, ConversationKey.Direct("carol", "dave"), 5);

        var before = await Assert.ThrowsAsync<UnknownMessageException>(async () => await store.ReadHistoryAsync(Ops, new HistoryQuery(10, Before: elsewhere[2])));
        var after = await Assert.ThrowsAsync<UnknownMessageException>(async () => await store.ReadHistoryAsync(Ops, new HistoryQuery(10, After: elsewhere[2])));
        var unknown = await Assert.ThrowsAsync<UnknownMessageException>(async () => await store.ReadHistoryAsync(Ops, new HistoryQuery(10, Before: MessageIds.Next())));
        var emptyRoom = await Assert.ThrowsAsync<UnknownMessageException>(async () => await store.ReadHistoryAsync(ConversationKey.ForRoom("none"), new HistoryQuery(10, After: elsewhere[0])));
        var marker = await Assert.ThrowsAsync<UnknownMessageException>(async () => await store.MarkReadAsync("alice", Ops, elsewhere[1]));

        Assert.Equal(elsewhere[2], before.MessageId);
        Assert.Equal(elsewhere[2], after.MessageId);
        Assert.NotNull(unknown);
        Assert.Equal(elsewhere[0], emptyRoom.MessageId);
        Assert.Equal(elsewhere[1], marker.MessageId);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task TwelveHundredQueuedForAnOfflineUser_KeepTheNewestThousand_AndCountTwoHundredDropped(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        var messages = Enumerable.Range(0, 1200).Select(i => StoreFiles.Direct("alice", "Bob", $"m{i}")).ToList();
        await Task.WhenAll(messages.Select(m => store.AppendAsync(m, queueFor: "Bob").AsTask()).ToList());

        var queue = await store.ReadOfflineAsync("BOB", 5000);

        Assert.Equal(messages[200..].Select(m => m.MessageId), queue.Messages.Select(m => m.MessageId));
        Assert.Equal(200, queue.Dropped);
        Assert.Equal(1000, queue.Total);
        Assert.Equal(messages[200], queue.Messages[0]);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task ConfirmingTheOfflineQueue_RemovesUpToTheId_ResetsDropped_AndLeavesTheRestForTheNextRead(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync(new MessageStoreSettings { OfflineQueueLimit = 10, TimeProvider = StoreFiles.Clock() });
        var messages = Enumerable.Range(0, 15).Select(i => StoreFiles.Direct("alice", "bob", $"m{i}")).ToList();
        await Task.WhenAll(messages.Select(m => store.AppendAsync(m, queueFor: "bob").AsTask()).ToList());
        await store.AppendAsync(StoreFiles.Direct("alice", "carol", "for carol"), queueFor: "carol");

        var first = await store.ReadOfflineAsync("bob", 4);
        await store.ConfirmOfflineAsync("bob", MessageIds.Next());
        var unchanged = await store.ReadOfflineAsync("bob", 4);
        await store.ConfirmOfflineAsync("bob", first.Messages[^1].MessageId);
        var second = await store.ReadOfflineAsync("bob", 100);
        await store.ConfirmOfflineAsync("bob", second.Messages[^1].MessageId);
        var empty = await store.ReadOfflineAsync("bob", 100);
        var carol = await store.ReadOfflineAsync("carol", 100);
        var history = await store.ReadHistoryAsync(ConversationKey.Direct("alice", "bob"), new HistoryQuery(100));

        Assert.Equal(messages[5..9].Select(m => m.MessageId), first.Messages.Select(m => m.MessageId));
        Assert.Equal((5L, 10L), (first.Dropped, first.Total));
        Assert.Equal((5L, 10L), (unchanged.Dropped, unchanged.Total));
        Assert.Equal(messages[9..].Select(m => m.MessageId), second.Messages.Select(m => m.MessageId));
        Assert.Equal((0L, 6L), (second.Dropped, second.Total));
        Assert.Equal((0, 0L, 0L), (empty.Messages.Count, empty.Dropped, empty.Total));
        Assert.Equal("for carol", Assert.Single(carol.Messages).Text);
        Assert.Equal(15, history.Messages.Count);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task ReadingTheOfflineQueueAfterACursor_SkipsWhatWasSent_WhetherOrNotItIsConfirmedYet(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync(new MessageStoreSettings { TimeProvider = StoreFiles.Clock() });
        var messages = Enumerable.Range(0, 10).Select(i => StoreFiles.Direct("alice", "bob", $"m{i}")).ToList();
        foreach (var message in messages)
        {
            await store.AppendAsync(message, queueFor: "bob");
        }

        var first = await store.ReadOfflineAsync("bob", 4);
        var beforeConfirming = await store.ReadOfflineAsync("bob", 4, after: first.Messages[^1].MessageId);
        await store.ConfirmOfflineAsync("bob", first.Messages[^1].MessageId);
        var afterConfirming = await store.ReadOfflineAsync("bob", 4, after: first.Messages[^1].MessageId);
        var afterAnUnknownId = await store.ReadOfflineAsync("bob", 100, after: MessageIds.Next());
        var afterTheLast = await store.ReadOfflineAsync("bob", 100, after: messages[^1].MessageId);

        Assert.Equal(messages[4..8].Select(m => m.MessageId), beforeConfirming.Messages.Select(m => m.MessageId));
        Assert.Equal(messages[4..8].Select(m => m.MessageId), afterConfirming.Messages.Select(m => m.MessageId));
        Assert.Equal(messages[4..].Select(m => m.MessageId), afterAnUnknownId.Messages.Select(m => m.MessageId));
        Assert.Empty(afterTheLast.Messages);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task Membership_SurvivesReopening_AndAddMemberSaysWhetherItCreatedTheRoom(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        bool created, again, joined, left, leftAgain;
        await using (var store = await stores.OpenAsync())
        {
            created = await store.AddMemberAsync("Ops", "Alice");
            again = await store.AddMemberAsync("ops", "alice");
            joined = await store.AddMemberAsync("OPS", "bob");
            await store.AddMemberAsync("dev", "carol");
            left = await store.RemoveMemberAsync("dev", "CAROL");
            leftAgain = await store.RemoveMemberAsync("dev", "carol");
        }

        await using var reopened = await stores.OpenAsync();
        var rooms = await reopened.ReadRoomsAsync();

        Assert.True(created);
        Assert.False(again);
        Assert.False(joined);
        Assert.True(left);
        Assert.False(leftAgain);
        Assert.Equal(["dev", "Ops"], rooms.Select(r => r.Room));
        Assert.Empty(rooms[0].Members);
        Assert.Equal(["alice", "bob"], rooms[1].Members);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task ReadMarkers_CountUnreadFromOthersAfterThem_AndListEveryDirectConversation(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        var ops = new List<ChatMessage>();
        var toAlice = StoreFiles.Direct("carol", "alice", "hi alice");
        IReadOnlyList<ConversationSummary> summaries, bobs;
        await using (var store = await stores.OpenAsync())
        {
            for (var i = 0; i < 10; i++)
            {
                ops.Add(StoreFiles.Message(Ops, i % 2 == 0 ? "Alice" : "bob", $"m{i}"));
                await store.AppendAsync(ops[^1]);
            }

            await store.AppendAsync(toAlice);
            await store.AppendAsync(StoreFiles.Direct("carol", "dave", "not alice's"));
            await store.MarkReadAsync("ALICE", Ops, ops[3].MessageId);

            summaries = await store.SummarizeAsync("alice", [Ops, ConversationKey.Everyone, ConversationKey.ForRoom("quiet")]);
            bobs = await store.SummarizeAsync("bob", [Ops]);
        }

        await using var reopened = await stores.OpenAsync();
        var afterReopen = await reopened.SummarizeAsync("alice", [Ops]);

        Assert.Equal([Ops, ConversationKey.Everyone, ConversationKey.ForRoom("quiet"), ConversationKey.Direct("alice", "carol")], summaries.Select(s => s.Conversation));
        Assert.Equal(new ConversationSummary(Ops, Unread: 3, ops[3].MessageId, ops[9].MessageId, ops[9].SentAt), summaries[0]);
        Assert.Equal(new ConversationSummary(ConversationKey.Everyone, 0, null, null, null), summaries[1]);
        Assert.Equal(new ConversationSummary(ConversationKey.ForRoom("quiet"), 0, null, null, null), summaries[2]);
        Assert.Equal(new ConversationSummary(ConversationKey.Direct("alice", "carol"), 1, null, toAlice.MessageId, toAlice.SentAt), summaries[3]);
        Assert.Equal(5, Assert.Single(bobs).Unread);
        Assert.Equal([summaries[0], summaries[3]], afterReopen);
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task ManyConcurrentAppenders_AreAllStoredOnce_AfterReopening(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        var sent = new List<string>[16];
        await using (var store = await stores.OpenAsync())
        {
            await Task.WhenAll(Enumerable.Range(0, sent.Length).Select(sender => Task.Run(async () =>
            {
                sent[sender] = [];
                for (var i = 0; i < 200; i++)
                {
                    var message = StoreFiles.Message(Ops, $"user{sender}", $"{i}");
                    await store.AppendAsync(message);
                    sent[sender].Add(message.MessageId);
                }
            })));
        }

        await using var reopened = await stores.OpenAsync();
        var stored = new List<ChatMessage>();
        var page = await reopened.ReadHistoryAsync(Ops, new HistoryQuery(200, After: null, Since: DateTimeOffset.MinValue));
        stored.AddRange(page.Messages);
        for (var pages = 0; !page.Complete && pages < 100; pages++)
        {
            page = await reopened.ReadHistoryAsync(Ops, new HistoryQuery(200, After: stored[^1].MessageId));
            stored.AddRange(page.Messages);
        }

        Assert.Equal(3200, stored.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(3200, stored.Count);
        for (var sender = 0; sender < sent.Length; sender++)
        {
            // Each sender waited for each append, so its own messages are stored in its order.
            Assert.Equal(sent[sender], stored.Where(m => m.From == $"user{sender}").Select(m => m.MessageId));
        }
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task AnAppendThatFails_FailsAlone_AndTheOthersInItsGroupAreStored(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync();
        var first = StoreFiles.Message(Ops, "alice", "first");
        await store.AppendAsync(first);

        var duplicate = store.AppendAsync(first with { Text = "again" }).AsTask();
        var others = Enumerable.Range(0, 20).Select(i => StoreFiles.Message(Ops, "bob", $"{i}")).ToList();
        var appends = others.Select(m => store.AppendAsync(m).AsTask()).ToList();
        var badMarker = store.MarkReadAsync("bob", Ops, MessageIds.Next()).AsTask();
        await Task.WhenAll(appends);

        await Assert.ThrowsAsync<ArgumentException>(() => duplicate);
        await Assert.ThrowsAsync<UnknownMessageException>(() => badMarker);
        var page = await store.ReadHistoryAsync(Ops, new HistoryQuery(50));
        Assert.Equal([first, .. others], page.Messages);
    }
}
