using System.Net;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// One accepted socket: a receive loop and a send loop side by side (partial files by concern),
/// sharing one cancellation source that is cancelled when the connection ends.
/// </summary>
internal sealed partial class ClientConnection : IServerConnection
{
    // After the last frame is written and FIN sent, how long to keep reading (and discarding) so
    // that the peer sees our last frame before the socket closes, instead of a reset.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    // One activity report (direct messages the client sent) counts at most this many.
    private const int MaxDirectPerReport = 1_000_000;

    private readonly ChatServer _server;
    private readonly ChatServerOptions _options;
    private volatile bool _handshakeDone;
    private readonly OutboundQueue _outbound;
    private readonly CancellationTokenSource _abort = new();
    private readonly TimeProvider _clock;

    private int _closeRequested;
    private int _slowConsumerDropped;
    private string? _closeReason;
    private ITimer? _authTimer;

    // When the current idle window ends (UTC ticks); 0 before login and once judged or closing.
    private long _idleWindowEndTicks;
    private int _pendingReleased;

    // 0 before a session is taken for this connection's address, 1 while held, 2 once given back.
    private int _sessionState;
    private long _lastActiveTicks;
    private int _messages;
    private int _messagesInWindow;

    public ClientConnection(ChatServer server, ConnectionTransport transport, string clientId)
    {
        _server = server;
        _options = server.Options;
        _clock = _options.TimeProvider;
        _transport = transport;
        _outbound = new OutboundQueue(_options.SendQueueBytes, _options.SendQueueFrames, _options.EffectiveSendQueueSoftBytes, _options.EffectiveSendQueueSoftFrames);
        ClientId = clientId;
        RemoteEndPoint = transport.RemoteEndPoint;
        (transport as WebSocketTransport)?.Watch(() => FrameLimit, (code, text) => RequestClose(code, FrameWriter.Error(null, code, text)));
        Address = RemoteEndPoint.ToString();
        AddressGroup = AddressGroups.Of(RemoteEndPoint.Address);
        ConnectedAt = _clock.GetUtcNow();
        _lastActiveTicks = ConnectedAt.UtcTicks;

        // AuthTimeout counts from accept, TLS handshake included.
        _authTimer = _clock.CreateTimer(static state => ((ClientConnection)state!).OnAuthTimeout(), this, _options.AuthTimeout, Timeout.InfiniteTimeSpan);
    }

    public string ClientId { get; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>What per-address limits count this connection under: its IPv4 address or its IPv6 /64.</summary>
    public IPAddress AddressGroup { get; }

    /// <summary>The remote end as <c>ip:port</c> (<c>[v6]:port</c>).</summary>
    public string Address { get; }

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>Set once, at a successful login.</summary>
    public string? UserName { get; private set; }

    /// <summary>The client's own listener for direct messages: the observed address with the announced port.</summary>
    public string? PeerEndpoint { get; private set; }

    /// <summary>Under TLS, the SHA-256 fingerprint of that listener's certificate, as the client announced it.</summary>
    public string? PeerFingerprint { get; private set; }

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
        _transport.IsWebSocket ? ClientInfo.ViaWebSocket : ClientInfo.ViaPeerChat);

    /// <summary>Runs the connection to its end; never throws.</summary>
    public async Task RunAsync()
    {
        var receive = Task.CompletedTask;
        try
        {
            if (!await StartTransportAsync().ConfigureAwait(false))
            {
                return;
            }

            _handshakeDone = true;
            if (!IsClosing)
            {
                Send(_server.HelloFrame);
            }

            var send = SendLoopAsync();
            receive = ReceiveLoopAsync();
            await send.ConfigureAwait(false);
            if (!_abort.IsCancellationRequested)
            {
                // Everything is written: FIN tells the client, then give it a moment to close its side.
                await _transport.CloseOutputAsync(_closeReason ?? CloseReasons.ClientClosed, _abort.Token).ConfigureAwait(false);
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
                _abort.Cancel();
                _outbound.CompleteWith(null);
                DisposeAuthTimer();
                _transport.Abort();
                await receive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await _transport.DisposeAsync().ConfigureAwait(false);

                ReleasePending();
                ReleaseSession();
                _server.OnConnectionEnded(this, _closeReason ?? CloseReasons.ClientClosed);
                _abort.Dispose();
            }
            finally
            {
                // Even if cleanup failed: a stopping server waits for this.
                _server.OnConnectionFinished();
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
        try
        {
            _abort.CancelAfter(_options.WriteTimeout + Linger);
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    public void RequestShutdown() => RequestClose(NoticeCodes.ServerShutdown, SessionFrames.ServerShutdown());

    /// <summary>Cuts the connection at once, without flushing.</summary>
    public void Abort(string reason)
    {
        RequestClose(reason, null);
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
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
        if (IsClosing || Interlocked.Exchange(ref _slowConsumerDropped, 1) != 0)
        {
            return;
        }

        _server.Raise(new SlowConsumerDroppedEvent(_clock.GetUtcNow(), ClientId, UserName, _outbound.QueuedBytes, _outbound.QueuedFrames));

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
            RequestClose(ErrorCodes.AuthTimeout, FrameWriter.Error(null, ErrorCodes.AuthTimeout, $"No successful login within {_options.AuthTimeout.TotalSeconds:0.###} s."));
        }
    }

    /// <summary>
    /// The idle rule: at the end of each window a client that sent fewer than MinMessages user
    /// requests is dropped; one that sent enough starts a new window.
    /// </summary>
    private void OnIdleWindowEnd(long nowTicks)
    {
        var sent = Interlocked.Exchange(ref _messagesInWindow, 0);
        if (sent >= _options.MinMessages)
        {
            Volatile.Write(ref _idleWindowEndTicks, nowTicks + _options.IdleTimeout.Ticks);
            return;
        }

        if (IsClosing)
        {
            return;
        }

        _server.Raise(new ClientIdleDroppedEvent(_clock.GetUtcNow(), ClientId, UserName!, sent));
        RequestClose(NoticeCodes.IdleTimeout, FrameWriter.Notice(NoticeCodes.IdleTimeout, NoticeCodes.IdleTimeoutText));
    }

    private void CountUserRequest() => CountUserRequests(1);

    private void CountUserRequests(int count)
    {
        SaturatingAdd(ref _messagesInWindow, count);
        SaturatingAdd(ref _messages, count);
        Interlocked.Exchange(ref _lastActiveTicks, _clock.GetUtcNow().UtcTicks);
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
        Interlocked.CompareExchange(ref _closeReason, reason, null);
    }
}
