using PeerChat.Cluster.Redis;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Tests.Support;

/// <summary>
/// Several in-process servers ("node-a", "node-b", ...) on one real redis-server, each with its own
/// connection, Redis message store and backplane, as separate processes would have; they share one
/// CSV user store (accounts in Redis, as Start-PeerChatServer -Cluster keeps them, are tested in ClusterAccountTests). Heartbeats are short, so that
/// a silent node is swept within about two seconds (long enough that a loaded machine does not miss one); tests wait on the nodes' bus reads, never sleep.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public static readonly ClusterSettings FastSettings = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        HeartbeatTimeToLive = TimeSpan.FromSeconds(2),
        PollInterval = TimeSpan.FromMilliseconds(200),
    };

    private readonly TemporaryFolder _folder = new();
    private readonly string _prefix = $"t{Guid.NewGuid():N}:";
    private readonly List<TestServer> _nodes = [];
    private readonly List<TcpProxy> _proxies = [];
    private ClusterSettings _settings = FastSettings;

    private TestCluster(RedisServer redis)
    {
        Redis = redis;
        Users = CsvUserStore.Open(Path.Combine(_folder.Path, "users.csv"));
    }

    public RedisServer Redis { get; }

    /// <summary>The key prefix of the cluster's data in <see cref="Redis"/>.</summary>
    public string Prefix => _prefix;

    public CsvUserStore Users { get; }

    public IReadOnlyList<TestServer> Nodes => _nodes;

    public static async Task<TestCluster> StartAsync(int nodes, ClusterSettings? settings = null, Func<ChatServerOptions, ChatServerOptions>? configure = null)
    {
        var cluster = new TestCluster(await RedisServer.StartAsync()) { _settings = settings ?? FastSettings };
        try
        {
            for (var k = 0; k < nodes; k++)
            {
                await cluster.AddNodeAsync($"node-{(char)('a' + k)}", configure);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Task<TestServer> AddNodeAsync(string name, Func<ChatServerOptions, ChatServerOptions>? configure = null) =>
        AddNodeAsync(name, Redis.Configuration, _settings, configure);

    /// <summary>A node that reaches Redis through <paramref name="configuration"/> (a <see cref="TcpProxy"/>'s) with <paramref name="settings"/>.</summary>
    public async Task<TestServer> AddNodeAsync(string name, string configuration, ClusterSettings settings, Func<ChatServerOptions, ChatServerOptions>? configure = null)
    {
        var store = await RedisMessageStore.ConnectAsync(configuration, new MessageStoreSettings(), _prefix);
        var backplane = RedisChatBackplane.Create(store, name, settings);
        backplane.Processed += OnProcessed;
        var options = (configure ?? (static o => o))(TestServer.WithoutFloodControl(TestServer.DefaultOptions)) with { MessageStore = store, Backplane = backplane };
        var node = TestServer.StartOn(options, Users, _folder, store);
        _nodes.Add(node);
        return node;
    }

    /// <summary>A proxy to the cluster's Redis, for a node whose link a test cuts or pauses; stopped after the nodes.</summary>
    public TcpProxy AddProxy()
    {
        var proxy = new TcpProxy(Redis.Port);
        _proxies.Add(proxy);
        return proxy;
    }

    public static RedisChatBackplane BackplaneOf(TestServer node) => (RedisChatBackplane)node.Server.Options.Backplane!;

    /// <summary>Whether every node has <paramref name="users"/> online (here or on another node).</summary>
    public bool EveryNodeSees(params string[] users) => _nodes.All(n => users.All(n.Server.Chat.IsOnline));

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking after each bus read of any node.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestServer.Patience;
        while (!await condition())
        {
            var read = NextRead();
            if (await condition())
            {
                return;
            }

            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            // A read comes at least every PollInterval from each node: this waits on it, not on a clock.
            await read.WaitAsync(remaining).ConfigureAwait(false);
        }
    }

    /// <summary>Completes at the next bus read of any node (each reads at least every PollInterval).</summary>
    public Task NextBusReadAsync() => NextRead().WaitAsync(TestServer.Patience);

    public Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        await Redis.DisposeAsync();
        _folder.Dispose();
    }

    private TaskCompletionSource _read = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Task NextRead() => Volatile.Read(ref _read).Task;

    private void OnProcessed() => Interlocked.Exchange(ref _read, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
