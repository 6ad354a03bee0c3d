using PeerChat.Cluster.Redis;
using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;
using StackExchange.Redis;

namespace PeerChat.Core.Tests;

/// <summary>
/// What only the Redis store has (its contract is tested with SQLite's in MessageStoreTests): the
/// Redis it refuses and why, and that what it acknowledged survives redis-server being killed.
/// </summary>
public sealed class RedisMessageStoreTests
{
    private static readonly ConversationKey Ops = ConversationKey.ForRoom("ops");

    [Theory]
    [RedisStore]
    public async Task AcknowledgedAppends_SurviveAKilledRedis_AndAppendsWhileItIsDownFailClearly(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        var acknowledged = new List<string>();
        await using (var store = await stores.OpenAsync())
        {
            acknowledged.AddRange(await StoreFiles.FillAsync(store, Ops, 200));
            await stores.Redis!.StopAsync();
            var refused = await Assert.ThrowsAsync<StoreUnavailableException>(async () => await store.AppendAsync(StoreFiles.Message(Ops, "alice", "while down")).AsTask().WaitAsync(TestServer.Patience));
            Assert.Contains(stores.Redis.Configuration, refused.Message, StringComparison.Ordinal);
        }

        await stores.Redis.RestartAsync();
        await using var reopened = await stores.OpenAsync();
        var page = await reopened.ReadHistoryAsync(Ops, new HistoryQuery(500));

        Assert.Equal(acknowledged, page.Messages.Select(m => m.MessageId));
    }

    [Theory]
    [RedisStore]
    public async Task KeysOfAnotherLayoutVersion_AreRefused_WithTheReason_AndLeftAlone(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(stores.Redis!.Configuration);
        await redis.GetDatabase().StringSetAsync("pc:version", "2");

        var refused = await Assert.ThrowsAsync<MessageStoreFormatException>(() => RedisMessageStore.ConnectAsync(stores.Redis.Configuration, new MessageStoreSettings()));

        Assert.Contains("layout version '2' in pc:version; this PeerChat reads version 1", refused.Message, StringComparison.Ordinal);
        Assert.Equal("2", (string?)await redis.GetDatabase().StringGetAsync("pc:version"));
    }

    [Theory]
    [RedisStore]
    public async Task ARedisWithoutAnAppendOnlyFile_IsRefused(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using var admin = await ConnectionMultiplexer.ConnectAsync(stores.Redis!.Configuration + ",allowAdmin=true");
        await admin.GetServer(admin.GetEndPoints()[0]).ConfigSetAsync("appendonly", "no");

        var refused = await Assert.ThrowsAsync<MessageStoreFormatException>(() => RedisMessageStore.ConnectAsync(stores.Redis.Configuration, new MessageStoreSettings()));

        Assert.Contains("appendonly yes", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [RedisStore]
    public async Task AWrongPassword_FailsClearly_WithoutShowingIt(StoreKind kind)
    {
        await using var stores = await TestStores.CreateAsync(kind);
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(stores.Redis!.Configuration + ",allowAdmin=true"))
        {
            await admin.GetServer(admin.GetEndPoints()[0]).ConfigSetAsync("requirepass", "the-right-one");
        }

        var refused = await Assert.ThrowsAsync<StoreUnavailableException>(() => RedisMessageStore.ConnectAsync(stores.Redis.Configuration + ",password=not-the-secret", new MessageStoreSettings()));
        await using var store = await RedisMessageStore.ConnectAsync(stores.Redis.Configuration + ",password=the-right-one", new MessageStoreSettings());

        Assert.Contains("cannot be reached", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Authentication", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(stores.Redis.Configuration, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-secret", refused.ToString(), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1:" + stores.Redis.Port + " (keys pc:*)", store.Where);
    }
}
