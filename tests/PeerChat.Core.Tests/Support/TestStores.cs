using System.Reflection;
using PeerChat.Cluster.Redis;
using PeerChat.Core.Chat;
using PeerChat.Store.Sqlite;
using Xunit.Sdk;

namespace PeerChat.Core.Tests.Support;

/// <summary>The message stores that the store contract tests run against, each for real.</summary>
public enum StoreKind
{
    Sqlite,
    Redis,
}

/// <summary>
/// Where a test's stores live: a SQLite file in a temp folder, or a redis-server of the test's own
/// under a key prefix of its own. A store opened a second time (after the first is disposed) sees
/// what the first wrote, as a restarted server would.
/// </summary>
public sealed class TestStores : IAsyncDisposable
{
    private readonly TemporaryFolder _folder = new();
    private readonly string _prefix = $"t{Guid.NewGuid():N}:";

    private TestStores(StoreKind kind, RedisServer? redis)
    {
        Kind = kind;
        Redis = redis;
    }

    public StoreKind Kind { get; }

    /// <summary>The test's redis-server; null for SQLite.</summary>
    public RedisServer? Redis { get; }

    public static async Task<TestStores> CreateAsync(StoreKind kind) =>
        new(kind, kind == StoreKind.Redis ? await RedisServer.StartAsync() : null);

    public async Task<IMessageStore> OpenAsync(MessageStoreSettings? settings = null)
    {
        settings ??= new MessageStoreSettings { TimeProvider = StoreFiles.Clock() };
        return Kind == StoreKind.Sqlite
            ? StoreFiles.Open(_folder, settings)
            : await RedisMessageStore.ConnectAsync(Redis!.Configuration, settings, _prefix);
    }

    public static Task<long> RunRetentionAsync(IMessageStore store) => store switch
    {
        SqliteMessageStore sqlite => sqlite.RunRetentionAsync(),
        RedisMessageStore redis => redis.RunRetentionAsync(),
        _ => throw new ArgumentException($"Not a store of the tests: {store.GetType()}", nameof(store)),
    };

    public static void OnRetentionPassed(IMessageStore store, Action<long> passed)
    {
        switch (store)
        {
            case SqliteMessageStore sqlite:
                sqlite.RetentionPassed = passed;
                break;
            case RedisMessageStore redis:
                redis.RetentionPassed = passed;
                break;
            default:
                throw new ArgumentException($"Not a store of the tests: {store.GetType()}", nameof(store));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        _folder.Dispose();
    }
}

/// <summary>
/// The Redis row of a store contract theory (the SQLite row is an InlineData beside it): skipped
/// where redis-server is not installed, except under CI, where the test then fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisStoreAttribute : DataAttribute
{
    public RedisStoreAttribute() => Skip = RedisServer.SkipReason;

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[StoreKind.Redis]];
}
