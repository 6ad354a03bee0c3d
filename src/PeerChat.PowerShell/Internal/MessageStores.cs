using System.Management.Automation;
using System.Runtime.CompilerServices;
using PeerChat.Core.Chat;
using PeerChat.Store.Sqlite;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// Opens the SQLite message store for Start-PeerChatServer, and tells why it cannot, with stable
/// ErrorIds. The store's assembly loads in the module's own context (<see cref="ModuleDependencies"/>),
/// and only when a store is opened: -NoMessageStore never loads SQLite.
/// </summary>
internal static class MessageStores
{
    /// <summary>The default store file: messages.db in the user store's folder.</summary>
    public static string DefaultPath(string userStorePath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(userStorePath)) ?? ".", "messages.db");

    // Not inlined: the JIT resolves SqliteMessageStore, and so loads the store's assembly, only
    // when this method runs, and a failure to load it reaches the caller's catch.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IMessageStore OpenSqlite(string path, MessageStoreSettings settings) => SqliteMessageStore.Open(path, settings);

    /// <summary>The Redis store of a cluster (docs/CLUSTER.md), in the module's own context like the SQLite store.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IMessageStore OpenRedis(string configuration, MessageStoreSettings settings) =>
        PeerChat.Cluster.Redis.RedisMessageStore.ConnectAsync(configuration, settings).GetAwaiter().GetResult();

    /// <summary>The node's link to the rest of the cluster, on the Redis store's connection (the server joins and leaves it as it starts and stops).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IChatBackplane OpenBackplane(IMessageStore store, string nodeName) =>
        PeerChat.Cluster.Redis.RedisChatBackplane.Create((PeerChat.Cluster.Redis.RedisMessageStore)store, nodeName);

    /// <summary>The accounts of the cluster whose Redis store <paramref name="store"/> is (one of <see cref="OpenRedis"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Core.Accounts.IUserStore ClusterUsers(IMessageStore store) =>
        PeerChat.Cluster.Redis.RedisUserStore.Over((PeerChat.Cluster.Redis.RedisMessageStore)store);

    /// <summary>The login throttle and signup budget shared by the cluster's nodes, with the rules of <paramref name="options"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Core.Server.ILoginLimits ClusterLoginLimits(IMessageStore store, Core.ChatServerOptions options) =>
        PeerChat.Cluster.Redis.RedisLoginLimits.Over((PeerChat.Cluster.Redis.RedisMessageStore)store, options);

    /// <summary>Adds accounts to a cluster's user store (one of <see cref="ClusterUsers"/>), each atomically; returns those added.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Task<IReadOnlyList<Core.Accounts.UserRecord>> AddToCluster(Core.Accounts.IUserStore users, IReadOnlyList<Core.Accounts.UserRecord> records, CancellationToken cancellationToken) =>
        ((PeerChat.Cluster.Redis.RedisUserStore)users).TryAddManyAsync(records, cancellationToken);

    /// <summary>
    /// The Redis store of a cluster for a cmdlet that writes into it (accounts, a server's data):
    /// its retention never runs (the nodes run it, with their settings) and it cuts no offline
    /// queue (the nodes apply their limit to the next message).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static IMessageStore OpenRedisForWriting(string configuration) =>
        PeerChat.Cluster.Redis.RedisMessageStore.ConnectAsync(
            configuration,
            new MessageStoreSettings { RetentionInterval = TimeSpan.FromDays(40), OfflineQueueLimit = int.MaxValue }).GetAwaiter().GetResult();

    /// <summary>The endpoints of a cluster's configuration string: what is shown of it (the password never is).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string DescribeCluster(string configuration) =>
        PeerChat.Cluster.Redis.RedisMessageStore.DescribeEndpoints(configuration);

    /// <summary>A command line without the cluster's configuration string and password.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string RedactCluster(string text, string configuration) => PeerChat.Cluster.Redis.RedisMessageStore.Redact(text, configuration);

    /// <summary>The error record for a cluster's Redis that could not be used; null for a failure this does not know.</summary>
    public static ErrorRecord? ToClusterErrorRecord(Exception exception, string endpoints) => exception switch
    {
        MessageStoreFormatException => new(exception, "ClusterDataUnusable", ErrorCategory.InvalidData, endpoints),
        StoreUnavailableException => new(exception, "ClusterUnavailable", ErrorCategory.ResourceUnavailable, endpoints),
        _ => null,
    };

    /// <summary>The error record for a store that could not be opened; null for a failure this does not know.</summary>
    public static ErrorRecord? ToErrorRecord(Exception exception, string path) => exception switch
    {
        MessageStoreInUseException => new(exception, "MessageStoreInUse", ErrorCategory.ResourceBusy, path),
        MessageStoreFormatException => new(exception, "MessageStoreUnreadable", ErrorCategory.InvalidData, path),
        StoreUnavailableException => new(exception, "MessageStoreUnavailable", ErrorCategory.ResourceUnavailable, path),
        IOException or UnauthorizedAccessException or InvalidOperationException => Unavailable(exception, path),
        ArgumentException { ParamName: "path" } => new(exception, "MessageStoreUnavailable", ErrorCategory.InvalidArgument, path),
        _ when Find<DllNotFoundException>(exception) is { } missing => new(
            new PlatformNotSupportedException(
                $"The message store needs the native SQLite library, which PeerChat ships for {string.Join(", ", ModuleDependencies.ShippedRuntimes)}; this is {ModuleDependencies.CurrentRuntime()}. Start the server with -NoMessageStore to run without history, rooms and offline delivery.",
                missing),
            "MessageStoreUnavailable",
            ErrorCategory.NotInstalled,
            path),
        _ => null,
    };

    // The system's message (such as "Could not find file '/srv/chat'") does not say what it was for.
    private static ErrorRecord Unavailable(Exception exception, string path) => new(exception, "MessageStoreUnavailable", ErrorCategory.ResourceUnavailable, path)
    {
        ErrorDetails = new ErrorDetails($"The message store '{path}' cannot be opened: {exception.Message}"),
    };

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }

        return null;
    }
}
