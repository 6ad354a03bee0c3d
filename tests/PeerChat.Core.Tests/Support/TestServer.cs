using System.Collections.Concurrent;
using System.Net;
using PeerChat.Cluster.Redis;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Server;

namespace PeerChat.Core.Tests.Support;

/// <summary>
/// A real server on 127.0.0.1, port 0, with a throw-away user store and a low HashIterations.
/// Disposing it stops the server and fails the test when the server reported an internal error.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const int TestIterations = 1000;
    public const string Password = "correct horse battery";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly ConcurrentQueue<ServerEvent> _events = new();
    private readonly List<ChatClient> _clients = [];
    private readonly List<Action<ServerEvent>> _watchers = [];
    private readonly object _watchLock = new();

    private bool _ownsFolder;

    // A message store opened for this server, closed after it stops.
    private IAsyncDisposable? _ownedMessageStore;

    private TestServer(ChatServer server, TemporaryFolder folder, IUserStore store, bool ownsFolder)
    {
        _ownsFolder = ownsFolder;
        Server = server;
        Folder = folder;
        Store = store;
        server.EventRaised += OnEvent;
    }

    public ChatServer Server { get; }

    public TemporaryFolder Folder { get; }

    public IUserStore Store { get; }

    public int Port => Server.Port;

    public IReadOnlyCollection<ServerEvent> Events => _events;

    public static ChatServerOptions DefaultOptions => new()
    {
        ListenAddress = IPAddress.Loopback,
        Port = 0,
        HashIterations = TestIterations,

        // Tests sign up hundreds of users from 127.0.0.1; the signup budget has a test of its own.
        SignupsPerAddressPerMinute = 100_000,

        // Likewise they log in hundreds at once from that one address; the per-address session cap
        // and the places kept for other addresses have tests of their own (SessionsPerAddressTests).
        MaxSessionsPerAddress = 100_000,
        ReservedSlots = 0,
    };

    /// <summary>For tests that send hundreds of requests on one connection: flood control (its own tests in LimitsTests) out of the way.</summary>
    public static ChatServerOptions WithoutFloodControl(ChatServerOptions options) =>
        options with { FloodBurst = 1_000_000, FloodRate = 1_000_000, FloodBytesBurst = 1 << 30, FloodBytesRate = 1 << 30 };

    /// <summary>Starts a server; a <paramref name="folder"/> passed in outlives it (for restarts), one made here does not.</summary>
    public static Task<TestServer> StartAsync(Func<ChatServerOptions, ChatServerOptions>? configure = null, TemporaryFolder? folder = null)
    {
        var ownsFolder = folder is null;
        folder ??= new TemporaryFolder();
        var options = configure is null ? DefaultOptions : configure(DefaultOptions);
        var store = CsvUserStore.Open(Path.Combine(folder.Path, "users.csv"));
        var server = new ChatServer(options, store);
        var test = new TestServer(server, folder, store, ownsFolder);
        server.Start();
        return Task.FromResult(test);
    }

    /// <summary>
    /// Starts a server with a real SQLite message store (messages.db in the folder); a
    /// <paramref name="folder"/> passed in keeps both for a restart.
    /// </summary>
    public static async Task<TestServer> StartWithStoreAsync(Func<ChatServerOptions, ChatServerOptions>? configure = null, TemporaryFolder? folder = null, MessageStoreSettings? storeSettings = null)
    {
        var ownsFolder = folder is null;
        folder ??= new TemporaryFolder();
        var store = StoreFiles.Open(folder, storeSettings);
        try
        {
            var server = await StartAsync(o => (configure?.Invoke(o) ?? o) with { MessageStore = store }, folder);
            server._ownedMessageStore = store;
            server._ownsFolder = ownsFolder;
            return server;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts a server on a user store of the caller's (the nodes of a test cluster share one) in
    /// <paramref name="folder"/>, which outlives it; <paramref name="ownedMessageStore"/> is closed after it stops.
    /// </summary>
    public static TestServer StartOn(ChatServerOptions options, IUserStore users, TemporaryFolder folder, IAsyncDisposable? ownedMessageStore)
    {
        var server = new ChatServer(options, users);
        var test = new TestServer(server, folder, users, ownsFolder: false) { _ownedMessageStore = ownedMessageStore };
        server.Start();
        return test;
    }

    /// <summary>
    /// Starts a node of a cluster on <paramref name="redis"/> under the key prefix <paramref name="prefix"/>
    /// (one per cluster): messages, accounts, login throttle and signup budget in Redis, as
    /// Start-PeerChatServer -Cluster keeps them; without a backplane (TestCluster's nodes have one).
    /// </summary>
    public static async Task<TestServer> StartClusterNodeAsync(RedisServer redis, string prefix, Func<ChatServerOptions, ChatServerOptions>? configure = null)
    {
        var options = configure is null ? DefaultOptions : configure(DefaultOptions);
        var store = await RedisMessageStore.ConnectAsync(redis.Configuration, new MessageStoreSettings { TimeProvider = options.TimeProvider }, prefix);
        try
        {
            options = options with { MessageStore = store };
            options = options with { LoginLimits = RedisLoginLimits.Over(store, options) };
            var users = RedisUserStore.Over(store);
            var test = new TestServer(new ChatServer(options, users), new TemporaryFolder(), users, ownsFolder: true) { _ownedMessageStore = store };
            test.Server.Start();
            return test;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>Logs <paramref name="userName"/> in on a raw connection (signing up first when new); <paramref name="loginFields"/> is added to the login frame, e.g. <c>,"presence":true</c>.</summary>
    public async Task<RawClient> LoginRawAsync(string userName, string loginFields = "")
    {
        await EnsureUserAsync(userName);
        var raw = ConnectRaw();
        await raw.ReadFrameAsync("hello");
        await raw.SendLineAsync($$"""{"type":"login","id":"login","user":"{{userName}}","password":"{{Password}}"{{loginFields}}}""");
        raw.Welcome = await raw.ReadFrameAsync("welcome");
        return raw;
    }

    /// <summary>Signs <paramref name="userName"/> up unless the account exists.</summary>
    public async Task EnsureUserAsync(string userName)
    {
        if (Store.Find(userName) is null)
        {
            await using var client = await ChatClient.ConnectAsync("127.0.0.1", Port);
            await client.SignUpAsync(userName, Password);
        }
    }

    public async Task<ChatClient> ConnectAsync(ChatClientOptions? options = null)
    {
        var client = await ChatClient.ConnectAsync("127.0.0.1", Port, options);
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    /// <summary>Signs up <paramref name="userName"/> (when new) and logs in on a fresh connection.</summary>
    public async Task<ChatClient> LoginAsync(string userName, ChatClientOptions? options = null)
    {
        var client = await ConnectAsync(options);
        if (Store.Find(userName) is null)
        {
            await client.SignUpAsync(userName, Password);
        }

        await client.LoginAsync(userName, Password);
        return client;
    }

    public RawClient ConnectRaw() => RawClient.Connect(Port);

    /// <summary>Waits for the first event (already raised or still to come) that matches.</summary>
    public async Task<T> WaitForEventAsync<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
        where T : ServerEvent
    {
        var found = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action<ServerEvent> watcher = e =>
        {
            if (e is T typed && (match?.Invoke(typed) ?? true))
            {
                found.TrySetResult(typed);
            }
        };
        lock (_watchLock)
        {
            _watchers.Add(watcher);
        }

        try
        {
            foreach (var e in _events)
            {
                watcher(e);
            }

            return await found.Task.WaitAsync(timeout ?? Patience);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No {typeof(T).Name} within {(timeout ?? Patience).TotalSeconds} s. Events: {string.Join(", ", _events.Select(e => e.ToString()))}");
        }
        finally
        {
            lock (_watchLock)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking at each server event.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (!condition())
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            try
            {
                // Any event may change the condition; re-check at the next one (or after a short beat for counters).
                await WaitForEventAsync<ServerEvent>(e => true, remaining < TimeSpan.FromMilliseconds(200) ? remaining : TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ChatClient> clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync();
        if (_ownedMessageStore is not null)
        {
            await _ownedMessageStore.DisposeAsync();
        }

        if (_ownsFolder)
        {
            Folder.Dispose();
        }

        var errors = _events.OfType<ServerErrorEvent>().ToList();
        Assert.True(errors.Count == 0, "The server reported internal errors: " + string.Join(Environment.NewLine, errors.Select(e => e.Where + ": " + e.Exception)));
    }

    private void OnEvent(ServerEvent serverEvent)
    {
        _events.Enqueue(serverEvent);
        Action<ServerEvent>[] watchers;
        lock (_watchLock)
        {
            watchers = [.. _watchers];
        }

        foreach (var watcher in watchers)
        {
            watcher(serverEvent);
        }
    }
}
