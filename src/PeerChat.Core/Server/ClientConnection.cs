using System.Net;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// One accepted socket: a receive loop and a send loop side by side (partial files by concern),
/// sharing one cancellation source that is cancelled when the connection ends.
/// </summary>
internal sealed partial class ClientConnection : IServerConnection, IThreadPoolWorkItem
{
    // After the last frame is written and FIN sent, how long to keep reading (and discarding) so
    // that the peer sees our last frame before the socket closes, instead of a reset.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    // One activity report (direct messages the client sent) counts at most this many.
    private const int MaxDirectPerReport = 1_000_000;

    private readonly ChatServer _server;
    private volatile bool _handshakeDone;
    private readonly OutboundQueue _outbound;

    // See AbortToken; _cut is 1 once the connection is cut (Cut), _finished once FinishAsync began.
    private CancellationTokenSource? _abortSource;
    private int _cut;
    private int _finished;

    // The receive loop, which the end waits for (a web exchange waiting on RunAsync waits on Seldom.Ended).
    private Task _receive = Task.CompletedTask;

    private int _closeRequested;
    private ITimer? _authTimer;

    // What an idle logged-in connection does not need, made the first time any of it is (see Seldom).
    private SeldomState? _seldom;

    // When the current idle window ends (UTC ticks); 0 before login and once judged or closing.
    private long _idleWindowEndTicks;
    private int _pendingReleased;

    // 0 before a session is taken for this connection's address, 1 while held, 2 once given back.
    private int _sessionState;
    private long _lastActiveTicks;
    private readonly long _connectedAtTicks;
    private int _messages;
    private int _messagesInWindow;

    public ClientConnection(ChatServer server, ConnectionTransport transport, string clientId)
    {
        _server = server;
        _transport = transport;
        _outbound = new OutboundQueue(server.SendQueueBounds);
        ClientId = clientId;
        RemoteEndPoint = transport.RemoteEndPoint;
        (transport as WebSocketTransport)?.Watch(() => FrameLimit, (code, text) => RequestClose(code, FrameWriter.Error(null, code, text)));
        _connectedAtTicks = Clock.GetUtcNow().UtcTicks;
        _lastActiveTicks = _connectedAtTicks;

        // AuthTimeout counts from accept, TLS handshake included.
        _authTimer = Clock.CreateTimer(static state => ((ClientConnection)state!).OnAuthTimeout(), this, Options.AuthTimeout, Timeout.InfiniteTimeSpan);
    }

    public string ClientId { get; }

    public int TableSlot { get; set; } = -1;

    // The server's options and their clock, read through the server rather than held by every connection.
    private ChatServerOptions Options => _server.Options;

    private TimeProvider Clock => Options.TimeProvider;

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>
    /// What per-address limits count this connection under: its IPv4 address (the end point's own,
    /// so nothing is made) or its IPv6 /64 (made when asked: at login and at the end).
    /// </summary>
    public IPAddress AddressGroup => AddressGroups.Of(RemoteEndPoint.Address);

    /// <summary>The remote end as <c>ip:port</c> (<c>[v6]:port</c>); made when asked (at login, in lists and events) rather than held by every connection.</summary>
    public string Address => RemoteEndPoint.ToString();

    public DateTimeOffset ConnectedAt => new(_connectedAtTicks, TimeSpan.Zero);

    /// <summary>Set once, at a successful login.</summary>
    public string? UserName { get; private set; }

    /// <summary>The client's own listener for direct messages: the observed address with the announced port.</summary>
    public string? PeerEndpoint => Volatile.Read(ref _seldom)?.PeerEndpoint;

    /// <summary>Under TLS, the SHA-256 fingerprint of that listener's certificate, as the client announced it.</summary>
    public string? PeerFingerprint => Volatile.Read(ref _seldom)?.PeerFingerprint;

    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    /// <summary>Logged in with <c>"presence": true</c>: told when others join and leave.</summary>
    public bool WantsPresence { get; private set; }

    /// <summary>False when the client logged in with <c>"receipts": false</c>: successful sends go unanswered.</summary>
    public bool WantsReceipts { get; private set; } = true;

    public ClientInfo Snapshot() => new(
        ClientId,
        UserName ?? string.Empty,
        Address,
        PeerEndpoint,
        ConnectedAt,
        new DateTimeOffset(Interlocked.Read(ref _lastActiveTicks), TimeSpan.Zero),
        Volatile.Read(ref _messages),
        _transport.IsWebSocket ? ClientInfo.ViaWebSocket : ClientInfo.ViaPeerChat,
        PeerFingerprint: PeerFingerprint);

    /// <summary>Runs the connection to its end; never throws. (A web exchange waits on it; the server only calls <see cref="Start"/>.)</summary>
    public Task RunAsync()
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Seldom.Ended = ended;
        Start();
        return ended.Task;
    }

    /// <summary>
    /// Starts the connection and returns: nothing waits for its end, so that an idle connection
    /// holds no parked method of its own (it ends in <see cref="FinishAsync"/>). Never throws.
    /// </summary>
    public void Start() => _ = StartAsync();

    private async Task StartAsync()
    {
        try
        {
            if (!await StartTransportAsync().ConfigureAwait(false))
            {
                _ = FinishAsync(flushed: false);
                return;
            }

            _handshakeDone = true;
            if (!IsClosing)
            {
                Send(_server.HelloFrame);
            }

            _receive = ReceiveLoopAsync();
            Pump();
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            SetReason(CloseReasons.ConnectionReset);
            _ = FinishAsync(flushed: false);
        }
        catch (Exception ex)
        {
            _server.ReportError("connection " + ClientId, ex);
            _ = FinishAsync(flushed: false);
        }
    }

    /// <summary>
    /// The end, once the send side is done: when everything queued was written (<paramref name="flushed"/>),
    /// FIN tells the client and it gets a moment to close its side; then the connection is cut and let go.
    /// </summary>
    private async Task FinishAsync(bool flushed)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }

        var receive = _receive;
        try
        {
            if (flushed && !IsCut)
            {
                await _transport.CloseOutputAsync(CloseReason ?? CloseReasons.ClientClosed, AbortToken).ConfigureAwait(false);
                await receive.WaitAsync(Linger).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            SetReason(CloseReasons.ConnectionReset);
        }
        catch (Exception ex)
        {
            _server.ReportError("connection " + ClientId, ex);
        }
        finally
        {
            try
            {
                Cut();
                _outbound.CompleteWith(null);
                DisposeAuthTimer();
                await receive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await _transport.DisposeAsync().ConfigureAwait(false);

                ReleasePending();
                ReleaseSession();
                _server.OnConnectionEnded(this, CloseReason ?? CloseReasons.ClientClosed);
                Volatile.Read(ref _abortSource)?.Dispose();
            }
            finally
            {
                // Even if cleanup failed: a stopping server waits for this.
                _server.OnConnectionFinished();
                Volatile.Read(ref _seldom)?.Ended?.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Ends the connection in order: <paramref name="finalFrame"/> (if any) is the last frame
    /// written, then the socket closes. Only the first request counts; the close is bounded by
    /// WriteTimeout, after which the connection is cut.
    /// </summary>
    public void RequestClose(string reason, byte[]? finalFrame)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        SetReason(reason);
        _server.OnClosing(this);

        // A closing session leaves its address's count at once, so that its user can log in again.
        ReleaseSession();
        _outbound.CompleteWith(finalFrame);

        // The write watchdog cuts a close that takes longer (see CheckWriteDeadline).
        Volatile.Write(ref Seldom.CloseDeadline, TimeProvider.System.GetTimestamp() + ToTimestampUnits(Options.WriteTimeout + Linger));
    }

    public void RequestShutdown() => RequestClose(NoticeCodes.ServerShutdown, SessionFrames.ServerShutdown());

    /// <summary>Cuts the connection at once, without flushing.</summary>
    public void Abort(string reason)
    {
        RequestClose(reason, null);
        Cut();
    }

    /// <summary>
    /// Once: whatever waits is cancelled and the transport is cut, so that a read or write under
    /// way ends with an exception (reads take no token: an idle read then registers nothing).
    /// </summary>
    private void Cut()
    {
        if (Interlocked.Exchange(ref _cut, 1) != 0)
        {
            return;
        }

        try
        {
            Volatile.Read(ref _abortSource)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }

        _transport.Abort();
    }

    private bool IsCut => Volatile.Read(ref _cut) != 0;

    /// <summary>
    /// Cancelled when the connection is cut. Its source is made only when something waits on it (a
    /// TLS handshake, a password hash, a flood pause, a blocked write, a close), and let go after a
    /// login, so that an idle connection holds none.
    /// </summary>
    private CancellationToken AbortToken
    {
        get
        {
            var source = Volatile.Read(ref _abortSource);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _abortSource, created, null) ?? created;
                if (IsCut)
                {
                    // Cut before the source existed: what waits on it must not wait.
                    source.Cancel();
                }
            }

            return source.Token;
        }
    }

    /// <summary>
    /// After a login or signup, which waited on <see cref="AbortToken"/>: nothing else of the
    /// receive loop waits on it now, and a cut reaches a blocked write through the transport.
    /// </summary>
    private void LetGoOfAbortSource()
    {
        if (!IsCut && Volatile.Read(ref _abortSource) is { } source && !source.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _abortSource, null, source);
        }
    }

    /// <summary>Queues a frame; a client whose queue overflows is dropped as a slow consumer.</summary>
    public bool Send(byte[] frame) => Queued(_outbound.TryEnqueue(frame));

    /// <summary>Queues a broadcast, which a client that has fallen behind may lose (oldest first) rather than its connection.</summary>
    public bool SendBroadcast(BroadcastFrame frame) => Queued(_outbound.TryEnqueue(frame));

    private bool Queued(OutboundQueue.Result result)
    {
        switch (result)
        {
            case OutboundQueue.Result.Queued:
                return true;
            case OutboundQueue.Result.Overflow:
                DropSlowConsumer();
                return false;
            default:
                return false;
        }
    }

    private void DropSlowConsumer()
    {
        if (IsClosing || Interlocked.Exchange(ref Seldom.SlowConsumerDropped, 1) != 0)
        {
            return;
        }

        _server.Raise(new SlowConsumerDroppedEvent(Clock.GetUtcNow(), ClientId, UserName, _outbound.QueuedBytes, _outbound.QueuedFrames));

        // Closed from the pool, not here: this runs inside a sender's loop over many clients, and
        // the close tells presence watchers, whose own queues may overflow in turn. Done inline,
        // thousands of watchers that stopped reading would drop each other on one ever-deeper stack.
        ThreadPool.UnsafeQueueUserWorkItem(
            static connection => connection.RequestClose(NoticeCodes.SlowConsumer, FrameWriter.Notice(NoticeCodes.SlowConsumer, "Your connection could not keep up with its messages; closing it.")),
            this,
            preferLocal: false);
    }

    /// <summary>Stops the login deadline and lets the timer go, so an idle logged-in connection holds none.</summary>
    private void DisposeAuthTimer() => Interlocked.Exchange(ref _authTimer, null)?.Dispose();

    private void OnAuthTimeout()
    {
        if (!_handshakeDone)
        {
            // Still in the TLS handshake: no frame can be sent, so the connection is just cut.
            Abort(ErrorCodes.AuthTimeout);
            return;
        }

        if (UserName is null)
        {
            RequestClose(ErrorCodes.AuthTimeout, FrameWriter.Error(null, ErrorCodes.AuthTimeout, $"No successful login within {Options.AuthTimeout.TotalSeconds:0.###} s."));
        }
    }

    /// <summary>
    /// The idle rule: at the end of each window a client that sent fewer than MinMessages user
    /// requests is dropped; one that sent enough starts a new window.
    /// </summary>
    private void OnIdleWindowEnd(long nowTicks)
    {
        var sent = Interlocked.Exchange(ref _messagesInWindow, 0);
        if (sent >= Options.MinMessages)
        {
            Volatile.Write(ref _idleWindowEndTicks, nowTicks + Options.IdleTimeout.Ticks);
            return;
        }

        if (IsClosing)
        {
            return;
        }

        _server.Raise(new ClientIdleDroppedEvent(Clock.GetUtcNow(), ClientId, UserName!, sent));
        RequestClose(NoticeCodes.IdleTimeout, FrameWriter.Notice(NoticeCodes.IdleTimeout, NoticeCodes.IdleTimeoutText));
    }

    private void CountUserRequest() => CountUserRequests(1);

    private void CountUserRequests(int count)
    {
        SaturatingAdd(ref _messagesInWindow, count);
        SaturatingAdd(ref _messages, count);
        Interlocked.Exchange(ref _lastActiveTicks, Clock.GetUtcNow().UtcTicks);
    }

    /// <summary>Adds, stopping at int.MaxValue: activity reports could otherwise wrap a count around to negative.</summary>
    private static void SaturatingAdd(ref int counter, int count)
    {
        var current = Volatile.Read(ref counter);
        while (true)
        {
            var updated = (int)Math.Min(int.MaxValue, (long)current + count);
            var seen = Interlocked.CompareExchange(ref counter, updated, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>A connection stops counting as pending for its address once, at login or at its end.</summary>
    private void ReleasePending()
    {
        if (Interlocked.Exchange(ref _pendingReleased, 1) == 0)
        {
            _server.ReleasePending(AddressGroup);
        }
    }

    /// <summary>Takes one of the sessions this connection's address may hold (see <see cref="ChatServer.TryTakeSession"/>).</summary>
    private bool TryTakeSession(string userName)
    {
        if (!_server.TryTakeSession(this, userName))
        {
            return false;
        }

        // Given back by a close that has already run (it found nothing to release), or by the end of RunAsync.
        Volatile.Write(ref _sessionState, 1);
        if (IsClosing)
        {
            ReleaseSession();
        }

        return true;
    }

    /// <summary>Gives the address's session back once, at close or at the end, whichever comes first.</summary>
    private void ReleaseSession()
    {
        if (Interlocked.CompareExchange(ref _sessionState, 2, 1) == 1)
        {
            _server.ReleaseSession(AddressGroup);
        }
    }

    private void SetReason(string reason)
    {
        // The first reason given explains the end; later ones are consequences of it.
        Interlocked.CompareExchange(ref Seldom.CloseReason, reason, null);
    }

    private string? CloseReason => Volatile.Read(ref _seldom)?.CloseReason;

    /// <summary>The connection's <see cref="SeldomState"/>, made at first use (by any thread: the first one made is kept).</summary>
    private SeldomState Seldom
    {
        get
        {
            if (Volatile.Read(ref _seldom) is { } seldom)
            {
                return seldom;
            }

            var made = new SeldomState();
            return Interlocked.CompareExchange(ref _seldom, made, null) ?? made;
        }
    }

    /// <summary>
    /// State that an idle logged-in connection does not hold: its close, a peer listener it
    /// announced, an offline queue read in batches, counts of errors. Made the first time any of
    /// it is set, so that thousands of idle connections each hold one empty reference instead.
    /// </summary>
    private sealed class SeldomState
    {
        // For a web exchange waiting on RunAsync: the connection's end.
        public TaskCompletionSource? Ended;

        // The first reason given for the end.
        public string? CloseReason;

        public string? PeerEndpoint;
        public string? PeerFingerprint;

        // The offline queue is sent in batches that fit the outbound queue; the next batch follows
        // the client's `received` of the last message of the one before (OfflineLastSent), when
        // there is one (OfflineMore). Only the receive loop touches these.
        public string? OfflineLastSent;
        public bool OfflineMore;

        // When a requested close must have finished (a system-clock timestamp); 0 until one is requested.
        public long CloseDeadline;

        public int ProtocolErrors;
        public int LoginFailures;
        public int SlowConsumerDropped;
    }
}
