using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>Retention, in each store: messages past HistoryMaxAge or past HistoryMaxPerConversation go, in small batches.</summary>
public sealed class MessageStoreRetentionTests
{
    private static readonly ConversationKey Ops = ConversationKey.ForRoom("ops");

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task MessagesOlderThanTheMaximumAge_AreRemoved_AndLeaveTheOfflineQueuesAsDropped(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        var clock = StoreFiles.Clock();
        await using var store = await stores.OpenAsync(new MessageStoreSettings { HistoryMaxAge = TimeSpan.FromDays(30), RetentionBatch = 7, RetentionInterval = StoreFiles.NoBackgroundRetention, TimeProvider = clock });
        var start = clock.GetUtcNow();
        var old = await StoreFiles.FillAsync(store, Ops, 50, sentAt: start);
        var oldDirect = Enumerable.Range(0, 5).Select(i => StoreFiles.Direct("alice", "bob", $"old {i}", start)).ToList();
        foreach (var message in oldDirect)
        {
            await store.AppendAsync(message, queueFor: "bob");
        }

        clock.Advance(TimeSpan.FromDays(20));
        var recent = await StoreFiles.FillAsync(store, Ops, 10, sentAt: clock.GetUtcNow());
        var recentDirect = StoreFiles.Direct("alice", "bob", "recent", clock.GetUtcNow());
        await store.AppendAsync(recentDirect, queueFor: "bob");

        var notYet = await TestStores.RunRetentionAsync(store);
        clock.Advance(TimeSpan.FromDays(11));
        var removed = await TestStores.RunRetentionAsync(store);
        var page = await store.ReadHistoryAsync(Ops, new HistoryQuery(100));
        var queue = await store.ReadOfflineAsync("bob", 100);
        var summary = await store.SummarizeAsync("bob", [Ops]);

        Assert.Equal(0, notYet);
        Assert.Equal(55, removed);
        Assert.Equal(recent, page.Messages.Select(m => m.MessageId));
        Assert.True(page.Complete);
        Assert.Equal([recentDirect], queue.Messages);
        Assert.Equal((5L, 1L), (queue.Dropped, queue.Total));
        Assert.Equal(10, summary[0].Unread);
        Assert.Equal(2, summary.Count);
        await Assert.ThrowsAsync<UnknownMessageException>(async () => await store.ReadHistoryAsync(Ops, new HistoryQuery(10, After: old[^1])));
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task AConversationPastItsMaximum_KeepsItsNewest_AndOthersAreLeftAlone(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var store = await stores.OpenAsync(new MessageStoreSettings { HistoryMaxPerConversation = 100, RetentionBatch = 30, TimeProvider = StoreFiles.Clock() });
        var ops = await StoreFiles.FillAsync(store, Ops, 250);
        var dev = await StoreFiles.FillAsync(store, ConversationKey.ForRoom("dev"), 60);

        var removed = await TestStores.RunRetentionAsync(store);
        var more = await StoreFiles.FillAsync(store, Ops, 5);
        var removedAgain = await TestStores.RunRetentionAsync(store);
        var opsPage = await store.ReadHistoryAsync(Ops, new HistoryQuery(200));
        var devPage = await store.ReadHistoryAsync(ConversationKey.ForRoom("dev"), new HistoryQuery(200));

        Assert.Equal(150, removed);
        Assert.Equal(5, removedAgain);
        Assert.Equal([.. ops[155..], .. more], opsPage.Messages.Select(m => m.MessageId));
        Assert.Equal(dev, devPage.Messages.Select(m => m.MessageId));
    }

    [Theory]
    [InlineData(StoreKind.Sqlite)]
    [RedisStore]
    public async Task RetentionRunsByItself_EveryInterval_OnTheStoresClock(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        var clock = StoreFiles.Clock();
        var settings = new MessageStoreSettings { HistoryMaxAge = TimeSpan.FromHours(1), RetentionInterval = TimeSpan.FromMinutes(1), TimeProvider = clock };
        await using var store = await stores.OpenAsync(settings);
        var passed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        TestStores.OnRetentionPassed(store, removed =>
        {
            if (removed > 0)
            {
                passed.TrySetResult(removed);
            }
        });
        await StoreFiles.FillAsync(store, Ops, 20, sentAt: clock.GetUtcNow());
        clock.Advance(TimeSpan.FromHours(1));

        // The loop may not have set its timer yet when the clock moves: move it a minute at a time
        // until a pass has run, each step waiting a bounded time for it.
        for (var minute = 0; minute < 100 && !passed.Task.IsCompleted; minute++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(passed.Task, Task.Delay(TimeSpan.FromMilliseconds(200)));
        }

        Assert.Equal(20, await passed.Task.WaitAsync(TestServer.Patience));
        Assert.Empty((await store.ReadHistoryAsync(Ops, new HistoryQuery(50))).Messages);
    }
}
