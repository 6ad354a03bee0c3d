using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// The PeerChat server: one accept loop, and for each connection a receive loop and a send loop
/// on asynchronous I/O (never a thread per client). Start it with <see cref="Start"/>, stop it
/// with <see cref="StopAsync"/>; <see cref="EventRaised"/> reports what happens.
/// </summary>
public sealed partial class ChatServer : IAsyncDisposable
{
    private readonly ConnectionTable _connections = new();
    private readonly ConcurrentDictionary<IPAddress, int> _pendingByAddress = new();
    private readonly ConcurrentDictionary<IPAddress, int> _sessionsByAddress = new();
    // Connections whose RunAsync has not returned yet; when the server stops, the last one to end
    // completes _allEnded. A count rather than a table of tasks: nothing per connection to hold.
    private readonly TaskCompletionSource _allEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _runningCount;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private ITimer? _writeWatchdog;
    private ITimer? _idleSweep;
    private ITimer? _throttledLoginFlush;
    private int _connectionCount;
    private long _nextClientId;
    private int _stopRequested;

    public ChatServer(ChatServerOptions options, IUserStore userStore)
    {
        options.Validate();
        Options = options;
        SendQueueBounds = new OutboundQueue.Bounds(options.SendQueueBytes, options.SendQueueFrames, options.EffectiveSendQueueSoftBytes, options.EffectiveSendQueueSoftFrames);
        UserStore = userStore;
        Throttle = new LoginThrottle(options);
        LoginLimits = options.LoginLimits ?? new LocalLoginLimits(Throttle, new SignupBudget(options));
        Accounts = new AccountService(userStore, options, LoginLimits);
        ThrottledLogins = new ThrottledLoginReports(options);
        Chat = new ChatCore(
            new ChatCoreSettings { HistoryPageMax = options.HistoryPageMax, MaxRoomsPerUser = options.MaxRoomsPerUser, MaxRooms = options.MaxRooms, TimeProvider = options.TimeProvider },
            userStore,
            options.MessageStore,
            options.Backplane);
        Chat.StoreFailed += (operation, exception) => Raise(new MessageStoreFailedEvent(Now, operation, exception.Message));
        Chat.StoreRecovered += () => Raise(new MessageStoreRecoveredEvent(Now));

        // Straight from the backplane: the chat's StoreFailed tells only the first of a streak of failures.
        if (options.Backplane is { } backplane)
        {
            backplane.Failed += (_, exception) =>
            {
                if (exception is NodeNameInUseException displaced)
                {
                    StopDisplaced(displaced);
                }
            };
        }

        HelloFrame = SessionFrames.Hello(options.ServerName, options.AllowSignup, options.MaxFrameBytes, options.MessageStore is not null, options.HistoryPageMax);
    }

    /// <summary>Raised on the thread where the event happened; a handler must be quick and must not throw.</summary>
    public event Action<ServerEvent>? EventRaised;

    public ChatServerOptions Options { get; }

    /// <summary>Every connection's outbound queue bounds, from <see cref="Options"/>: one object rather than a copy in each queue.</summary>
    internal OutboundQueue.Bounds SendQueueBounds { get; }

    public IUserStore UserStore { get; }

    /// <summary>The bound endpoint, with the real port when <see cref="ChatServerOptions.Port"/> was 0.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public int Port => LocalEndPoint?.Port ?? 0;

    /// <summary>Stopping: a web exchange still reading its request ends at once.</summary>
    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>Completes when the server has stopped.</summary>
    public Task Completion => _stopped.Task;

    /// <summary>
    /// Why the server stopped by itself, before anyone called <see cref="StopAsync"/>: its node's
    /// name was taken by another node of the cluster (<see cref="NodeNameInUseException"/>); else null.
    /// </summary>
    public Exception? StopReason { get; private set; }

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public int LoggedInCount => Chat.OnlineCount;

    /// <summary>The chat behind this front end: sessions, rooms, messages, history.</summary>
    public ChatCore Chat { get; }

    internal AccountService Accounts { get; }

    internal LoginThrottle Throttle { get; }

    /// <summary>The throttle and signup budget in use: <see cref="Throttle"/> here, or the cluster's shared ones.</summary>
    internal ILoginLimits LoginLimits { get; }

    internal ThrottledLoginReports ThrottledLogins { get; }

    internal ServerCounters Counters { get; } = new();

    internal byte[] HelloFrame { get; }

    /// <summary>A socket listening on <paramref name="port"/> (0: one the system picks) at ListenAddress, both IPv4 and IPv6 when that is IPv6Any.</summary>
    private Socket Listen(int port)
    {
        var listener = new Socket(Options.ListenAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (Options.ListenAddress.Equals(IPAddress.IPv6Any))
            {
                listener.DualMode = true;
            }

            listener.Bind(new IPEndPoint(Options.ListenAddress, port));
            listener.Listen(512);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the rooms from the message store, binds and starts accepting. A port in use throws
    /// <see cref="SocketException"/> here, at once; a store that cannot be read throws its
    /// <see cref="StoreUnavailableException"/>.
    /// </summary>
    public void Start()
    {
        if (_listener is not null)
        {
            throw new InvalidOperationException("The server has already been started.");
        }

        // Once, before the first client: waiting here keeps Start synchronous for its hosts, and
        // reading the rooms is one query.
        Chat.LoadAsync().AsTask().GetAwaiter().GetResult();

        Socket listener;
        try
        {
            listener = Listen(Options.Port);
        }
        catch
        {
            // A node that will not serve leaves the cluster again rather than heartbeat with no users.
            Chat.LeaveClusterAsync().GetAwaiter().GetResult();
            throw;
        }

        _listener = listener;

        // The port may have been chosen by the system: read back what was bound.
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        try
        {
            BindIrcGateway();
            BindWebListener();
        }
        catch
        {
            listener.Dispose();
            _listener = null;
            _ircListener?.Dispose();
            _ircListener = null;
            Chat.LeaveClusterAsync().GetAwaiter().GetResult();
            throw;
        }
        foreach (var issue in UserStore.Issues)
        {
            Raise(new UserStoreIssueEvent(Now, issue.Path, issue.LineNumber, issue.Reason));
        }

        Raise(new ServerStartedEvent(Now, LocalEndPoint));
        // Two sweeps over all connections replace timers of their own, so that an idle connection
        // holds none. Write deadlines are real time, whatever clock the options give: they are
        // about sockets. Idle windows follow the options' clock, as every rule of the protocol does.
        _writeWatchdog = TimeProvider.System.CreateTimer(static s => ((ChatServer)s!).SweepWriteDeadlines(), this, SweepPeriod(Options.WriteTimeout), SweepPeriod(Options.WriteTimeout));
        _idleSweep = Options.TimeProvider.CreateTimer(static s => ((ChatServer)s!).SweepIdleWindows(), this, SweepPeriod(Options.IdleTimeout), SweepPeriod(Options.IdleTimeout));
        _throttledLoginFlush = Options.TimeProvider.CreateTimer(static s => ((ChatServer)s!).ReportThrottledLogins(all: false), this, SweepPeriod(Options.ThrottledLoginReportInterval), SweepPeriod(Options.ThrottledLoginReportInterval));
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, Entry.PeerChat));
        if (_ircListener is { } ircListener)
        {
            _ircAcceptLoop = Task.Run(() => AcceptLoopAsync(ircListener, Entry.Irc));
        }

        if (_webListener is { } webListener)
        {
            _webAcceptLoop = Task.Run(() => AcceptLoopAsync(webListener, Entry.Web));
        }
    }

    // A deadline is noticed within a quarter of its length, and at most a second, after it passes.
    private static TimeSpan SweepPeriod(TimeSpan deadline) =>
        TimeSpan.FromTicks(Math.Clamp(deadline.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));

    private void ReportThrottledLogins(bool all)
    {
        foreach (var report in ThrottledLogins.Flush(all))
        {
            Raise(report);
        }
    }

    private void SweepWriteDeadlines()
    {
        var now = TimeProvider.System.GetTimestamp();
        foreach (var connection in _connections)
        {
            connection.CheckWriteDeadline(now);
        }
    }

    private void SweepIdleWindows()
    {
        var now = Now.UtcTicks;
        foreach (var connection in _connections)
        {
            connection.CheckIdleWindow(now);
        }
    }

    /// <summary>
    /// Stops accepting, sends <c>server_shutdown</c> to every client and waits up to
    /// ShutdownTimeout for them to be written before cutting what is left. A connection that has
    /// not ended as long again after the cut is reported (a server error) and left behind, so that
    /// the stop itself always ends.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) != 0)
        {
            await Completion.ConfigureAwait(false);
            return;
        }

        _stopping.Cancel();
        _listener?.Dispose();
        _ircListener?.Dispose();
        _webListener?.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _ircAcceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _webAcceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        foreach (var connection in _connections)
        {
            connection.RequestShutdown();
        }

        if (Volatile.Read(ref _runningCount) == 0)
        {
            _allEnded.TrySetResult();
        }

        await _allEnded.Task.WaitAsync(Options.ShutdownTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!_allEnded.Task.IsCompleted)
        {
            foreach (var connection in _connections)
            {
                connection.Abort(NoticeCodes.ServerShutdown);
            }

            // A cut connection ends at once, unless something of it is stuck (a send side that was
            // never woken): the stop still ends, as long again later (a second at least, since a cut
            // ends a connection on the pool, not here), and reports what it left.
            var afterCut = Options.ShutdownTimeout == Timeout.InfiniteTimeSpan ? Options.ShutdownTimeout : TimeSpan.FromTicks(Math.Max(Options.ShutdownTimeout.Ticks, TimeSpan.TicksPerSecond));
            await _allEnded.Task.WaitAsync(afterCut).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var left = Volatile.Read(ref _runningCount);
            if (!_allEnded.Task.IsCompleted && left > 0)
            {
                ReportError("stop", new TimeoutException($"{left} connection(s) had not ended {afterCut.TotalSeconds:0.###} s after being cut; the server stopped without them."));
                LeaveChatWithoutThem();
            }
        }

        _writeWatchdog?.Dispose();
        _idleSweep?.Dispose();
        _throttledLoginFlush?.Dispose();

        // Every session has ended (and said so), or was taken out of the chat above: the node's
        // users are now offline for the others.
        await Chat.LeaveClusterAsync().ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ReportThrottledLogins(all: true);
        Raise(new ServerStoppedEvent(Now));
        _stopped.TrySetResult();
    }

    // The sessions of connections that did not end are taken out of the chat, so that the node
    // leaves its cluster without them and nothing is delivered to them any more. Whatever they still
    // do raises no event: the server has stopped (see Raise).
    private void LeaveChatWithoutThem()
    {
        foreach (var connection in _connections)
        {
            if (connection is IChatSession session && session.UserName is not null)
            {
                Chat.Unregister(session);
            }
        }
    }

    // Another node took this node's name (its heartbeat had expired): this node can no longer take
    // part in the cluster, so it stops as it would have been refused at start; clients are told
    // server_shutdown and may reconnect to another node.
    private void StopDisplaced(NodeNameInUseException reason)
    {
        if (Volatile.Read(ref _stopRequested) != 0)
        {
            return;
        }

        StopReason = reason;
        _ = Task.Run(async () =>
        {
            try
            {
                await StopAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Raise(new ServerErrorEvent(Now, "stop", ex));
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is null)
        {
            _stopped.TrySetResult();
            return;
        }

        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    public ServerStatistics GetStatistics() => Counters.Snapshot(ConnectionCount, LoggedInCount);

    /// <summary>Snapshots of the logged-in clients, oldest first; in a cluster, those of every node, each with its node.</summary>
    public IReadOnlyList<ClientInfo> GetClients()
    {
        if (Options.Backplane is not { } cluster)
        {
            return Chat.Sessions.Select(c => c.Snapshot()).OrderBy(c => c.ConnectedAt).ThenBy(c => c.ClientId, StringComparer.Ordinal).ToList();
        }

        // A user who just logged in here may still be listed on the node being replaced: shown once, here.
        var local = Chat.Sessions.Select(c => c.Snapshot() with { Node = cluster.NodeName }).ToList();
        var here = local.Select(c => c.UserName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return local.Concat(cluster.RemoteClients.Where(c => !here.Contains(c.UserName)))
            .OrderBy(c => c.ConnectedAt).ThenBy(c => c.ClientId, StringComparer.Ordinal).ToList();
    }

    internal DateTimeOffset Now => Options.TimeProvider.GetUtcNow();

    internal ClientConnection? FindLoggedIn(string userName) => Chat.Find(userName) as ClientConnection;

    /// <summary>A closing connection leaves the chat at once, so nothing more is queued for it.</summary>
    internal void OnClosing(ClientConnection connection)
    {
        if (connection.UserName is not null)
        {
            Chat.Unregister(connection);
        }
    }

    /// <summary>The last thing a connection's RunAsync does; once the server is stopping, the last one completes the stop.</summary>
    internal void OnConnectionFinished()
    {
        if (Interlocked.Decrement(ref _runningCount) == 0 && _stopping.IsCancellationRequested)
        {
            _allEnded.TrySetResult();
        }
    }

    internal void OnConnectionEnded(ClientConnection connection, string reason)
    {
        OnClosing(connection);
        OnConnectionEnded(connection, connection.UserName, connection.Address, reason);
    }

    /// <summary>A connection of any protocol has ended (it has left the chat already).</summary>
    internal void OnConnectionEnded(IServerConnection connection, string? userName, string address, string reason)
    {
        _connections.Remove(connection);
        Interlocked.Decrement(ref _connectionCount);
        Raise(new ClientDisconnectedEvent(Now, connection.ClientId, userName, address, reason));
    }

    internal void ReleasePending(IPAddress address) => Decrement(_pendingByAddress, address);

    /// <summary>
    /// Takes one of the sessions <paramref name="connection"/>'s address may hold, or says no when
    /// it holds MaxSessionsPerAddress. A login that replaces its user's session from the same
    /// address may go one past, since the session it replaces is about to leave.
    /// </summary>
    internal bool TryTakeSession(IServerConnection connection, string userName)
    {
        var group = connection.AddressGroup;
        var replacing = Chat.Find(userName) is IServerConnection current && current.AddressGroup.Equals(group);
        var limit = replacing ? Options.MaxSessionsPerAddress + 1 : Options.MaxSessionsPerAddress;
        while (true)
        {
            if (!_sessionsByAddress.TryGetValue(group, out var count))
            {
                if (_sessionsByAddress.TryAdd(group, 1))
                {
                    return true;
                }
            }
            else if (count >= limit)
            {
                return false;
            }
            else if (_sessionsByAddress.TryUpdate(group, count + 1, count))
            {
                return true;
            }
        }
    }

    internal void ReleaseSession(IPAddress group) => Decrement(_sessionsByAddress, group);

    private static void Decrement(ConcurrentDictionary<IPAddress, int> counts, IPAddress address)
    {
        while (counts.TryGetValue(address, out var count))
        {
            var updated = counts.TryUpdate(address, count - 1, count);
            if (updated)
            {
                if (count == 1)
                {
                    // Remove only if nobody raised it meanwhile, so the table holds active addresses only.
                    counts.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
                }

                return;
            }
        }
    }

    internal byte[] ClientsFrame(JsonElement? re) => SessionFrames.Clients(re, GetClients());

    internal void Raise(ServerEvent serverEvent)
    {
        // After ServerStoppedEvent nothing more is told: the job that reads the events has ended.
        if (_stopped.Task.IsCompleted)
        {
            return;
        }

        try
        {
            EventRaised?.Invoke(serverEvent);
        }
        catch
        {
            // A handler's fault must never reach a socket thread: an exception there ends the process.
        }
    }

    internal void ReportError(string where, Exception exception) => Raise(new ServerErrorEvent(Now, where, exception));
}
