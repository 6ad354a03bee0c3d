using PeerChat.Cluster.Redis;
using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// Moving a single server's SQLite store into a cluster's Redis (Copy-PeerChatStore): every
/// conversation with its ids, times and order, the rooms, offline queues in their order across
/// conversations, and read markers; run twice, it copies nothing twice.
/// </summary>
public sealed class MessageStoreCopyTests
{
    private static readonly ConversationKey Ops = ConversationKey.ForRoom("Ops");

    [Theory]
    [RedisStore]
    public async Task ASqliteStore_CopiedIntoRedis_ReadsTheSame_AndASecondCopyAddsNothing(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        using var folder = new TemporaryFolder();
        var t0 = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        await using var sqlite = StoreFiles.Open(folder);
        await sqlite.AddMemberAsync("Ops", "alice");
        await sqlite.AddMemberAsync("Ops", "bob");
        var everyone = await StoreFiles.FillAsync(sqlite, ConversationKey.Everyone, 1200, sentAt: t0);
        await StoreFiles.FillAsync(sqlite, Ops, 30, "bob", t0.AddMinutes(1));

        // bob is offline: messages from alice and carol, interleaved in time, queue for him in one queue.
        var queued = new List<ChatMessage>();
        for (var i = 0; i < 10; i++)
        {
            var message = StoreFiles.Direct(i % 2 == 0 ? "alice" : "carol", "bob", $"while you were out {i}", t0.AddMinutes(2 + i));
            await sqlite.AppendAsync(message, queueFor: "bob");
            queued.Add(message);
        }

        await sqlite.MarkReadAsync("alice", ConversationKey.Everyone, everyone[700]);
        await sqlite.MarkReadAsync("bob", Ops, (await sqlite.ReadHistoryAsync(Ops, new HistoryQuery(1))).Messages[0].MessageId);
        string[] users = ["alice", "bob", "carol"];

        await using var redis = await stores.OpenAsync(new MessageStoreSettings { OfflineQueueLimit = int.MaxValue, RetentionInterval = StoreFiles.NoBackgroundRetention });
        var copied = await MessageStoreCopy.CopyAsync(sqlite, redis, users);
        var again = await MessageStoreCopy.CopyAsync(sqlite, redis, users);

        Assert.Equal(new MessageStoreCopyResult(Rooms: 1, Memberships: 2, Conversations: 4, Messages: 1240, AlreadyCopied: 0, Queued: 10, ReadMarkers: 2), copied);
        Assert.Equal(copied with { Messages = 0, AlreadyCopied = 1240, Queued = 0 }, again);
        foreach (var conversation in new[] { ConversationKey.Everyone, Ops, ConversationKey.Direct("alice", "bob"), ConversationKey.Direct("bob", "carol") })
        {
            Assert.Equal(await AllAsync(sqlite, conversation), await AllAsync(redis, conversation));
        }

        var queue = await redis.ReadOfflineAsync("bob", 100);
        Assert.Equal(queued.Select(m => m.MessageId), queue.Messages.Select(m => m.MessageId));
        Assert.Equal((await sqlite.ReadRoomsAsync()).Select(r => (r.Room, string.Join(",", r.Members.Order()))), (await redis.ReadRoomsAsync()).Select(r => (r.Room, string.Join(",", r.Members.Order()))));
        foreach (var user in users)
        {
            Assert.Equal(await SummaryAsync(sqlite, user), await SummaryAsync(redis, user));
        }
    }

    /// <summary>A conversation's whole history, oldest first, as comparable text.</summary>
    private static async Task<List<string>> AllAsync(IMessageStore store, ConversationKey conversation)
    {
        var all = new List<string>();
        string? before = null;
        while (true)
        {
            var page = await store.ReadHistoryAsync(conversation, new HistoryQuery(500, Before: before));
            all.InsertRange(0, page.Messages.Select(m => $"{m.MessageId} {m.From} {m.To} {m.Text} {m.SentAt.UtcTicks}"));
            if (page.Complete || page.Messages.Count == 0)
            {
                return all;
            }

            before = page.Messages[0].MessageId;
        }
    }

    private static async Task<List<string>> SummaryAsync(IMessageStore store, string user) =>
        (await store.SummarizeAsync(user, [ConversationKey.Everyone, Ops]))
            .Select(s => $"{s.Conversation.Id} {s.Unread} {s.ReadUpTo} {s.LastMessageId}").Order(StringComparer.Ordinal).ToList();
}
