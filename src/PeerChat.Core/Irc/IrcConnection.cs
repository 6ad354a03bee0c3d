using System.Net;
using System.Text;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;

namespace PeerChat.Core.Irc;

/// <summary>
/// One IRC client on the gateway's port. It shares the server's limits and accounting with
/// peerchat/1 connections (the connection count, per-address pending and session counts, the login
/// throttle, flood control, the idle rule, AuthTimeout, the write watchdog, the outbound queue's
/// bounds) and speaks IRC on the wire. Partial files by concern: transport, receive, commands
/// (one file per group), registration, chat.
/// </summary>
internal sealed partial class IrcConnection : IServerConnection
{
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    private readonly ChatServer _server;
    private readonly ChatServerOptions _options;
    private readonly OutboundQueue _outbound;
    private readonly CancellationTokenSource _abort = new();
    private readonly TimeProvider _clock;
    private volatile bool _handshakeDone;

    private int _closeRequested;
    private int _slowConsumerDropped;
    private string? _closeReason;
    private ITimer? _authTimer;
    private long _idleWindowEndTicks;
    private int _pendingReleased;
    private int _sessionState;
    private long _lastActiveTicks;
    private int _messages;
    private int _messagesInWindow;

    public IrcConnection(ChatServer server, ConnectionTransport transport, string clientId)
    {
        _server = server;
        _options = server.Options;
        _clock = _options.TimeProvider;
        _transport = transport;
        _outbound = new OutboundQueue(server.SendQueueBounds);
        ClientId = clientId;
        RemoteEndPoint = transport.RemoteEndPoint;
        (transport as WebSocketTransport)?.Watch(() => MessageLimit, (code, text) => RequestClose(code, text));
        Address = RemoteEndPoint.ToString();
        AddressGroup = AddressGroups.Of(RemoteEndPoint.Address);
        ConnectedAt = _clock.GetUtcNow();
        _lastActiveTicks = ConnectedAt.UtcTicks;

        // AuthTimeout counts from accept, TLS handshake included, as on the main port.
        _authTimer = _clock.CreateTimer(static state => ((IrcConnection)state!).OnAuthTimeout(), this, _options.AuthTimeout, Timeout.InfiniteTimeSpan);
    }

    public string ClientId { get; }

    public int TableSlot { get; set; } = -1;

    public IPEndPoint RemoteEndPoint { get; }

    public IPAddress AddressGroup { get; }

    public string Address { get; }

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>The account, set once registration completes; the nick is always this.</summary>
    public string? UserName { get; private set; }

    public bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    /// <summary>Over WebSocket, the longest message read, as on the main port: MaxPreAuthFrameBytes until registered, then MaxFrameBytes (and never past an IRC line).</summary>
    private int MessageLimit => Math.Min(IrcLine.MaxLineBytes - 2, UserName is null ? _options.MaxPreAuthFrameBytes : _options.MaxFrameBytes);

    /// <summary>The nick to address this client with in replies: its account once registered, else what it asked for, else <c>*</c>.</summary>
    private string Nick => UserName ?? _requestedNick ?? "*";

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
            var send = SendLoopAsync();
            receive = ReceiveLoopAsync();
            await send.ConfigureAwait(false);
            if (!_abort.IsCancellationRequested)
            {
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
            _server.ReportError("irc connection " + ClientId, ex);
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
                LeaveChat();
                _server.OnConnectionEnded(this, UserName, Address, _closeReason ?? CloseReasons.ClientClosed);
                _abort.Dispose();
            }
            finally
            {
                _server.OnConnectionFinished();
            }
        }
    }

    /// <summary>
    /// Ends the connection in order: <c>ERROR :Closing link</c> with <paramref name="text"/> is the
    /// last line written (none when null), then the socket closes, within WriteTimeout.
    /// </summary>
    public void RequestClose(string reason, string? text)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        SetReason(reason);
        LeaveChat();
        ReleaseSession();
        _outbound.CompleteWith(text is null ? null : ErrorLine(text));
        try
        {
            _abort.CancelAfter(_options.WriteTimeout + Linger);
        }
        catch (ObjectDisposedException)
        {
            // Already ended.
        }
    }

    public void RequestShutdown() => RequestClose(NoticeCodes.ServerShutdown, "The server is shutting down");

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

    /// <summary>What a client turned away at accept reads: one ERROR line.</summary>
    internal static byte[] RejectLine(string text) => Encoding.UTF8.GetBytes($"ERROR :Closing link: {IrcText.OneLine(text)}\r\n");

    /// <summary>The <c>ERROR</c> line that closes a link, naming the client and why.</summary>
    private byte[] ErrorLine(string text) =>
        Encoding.UTF8.GetBytes($"ERROR :Closing link: {Nick}[{RemoteEndPoint.Address}] ({IrcText.OneLine(text)})\r\n");

    /// <summary>Queues bytes (one or more whole lines); a client whose queue overflows is dropped as a slow consumer.</summary>
    internal bool Send(byte[] lines) => Queued(_outbound.TryEnqueue(lines));

    /// <summary>Queues a chat line that a client fallen behind may lose (oldest first) rather than its connection.</summary>
    internal bool SendBroadcast(BroadcastFrame lines) => Queued(_outbound.TryEnqueue(lines));

    /// <summary>Queues one message from the server (<c>:server COMMAND params</c>).</summary>
    internal bool Send(IrcMessage message) => Send(IrcLine.Encode(message));

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

        // From the pool, as on the main port: this runs inside a sender's loop over many clients.
        ThreadPool.UnsafeQueueUserWorkItem(
            static connection => connection.RequestClose(NoticeCodes.SlowConsumer, "Your connection could not keep up with its messages"),
            this,
            preferLocal: false);
    }

    private void DisposeAuthTimer() => Interlocked.Exchange(ref _authTimer, null)?.Dispose();

    private void OnAuthTimeout()
    {
        if (!_handshakeDone)
        {
            Abort(ErrorCodes.AuthTimeout);
            return;
        }

        if (UserName is null)
        {
            RequestClose(ErrorCodes.AuthTimeout, $"No successful login within {_options.AuthTimeout.TotalSeconds:0.###} s");
        }
    }

    public void CheckIdleWindow(long nowTicks)
    {
        var windowEnd = Volatile.Read(ref _idleWindowEndTicks);
        if (windowEnd != 0 && nowTicks >= windowEnd && Interlocked.CompareExchange(ref _idleWindowEndTicks, 0, windowEnd) == windowEnd)
        {
            OnIdleWindowEnd(nowTicks);
        }
    }

    /// <summary>The idle rule of the main port: fewer than MinMessages messages in a window and the client is dropped.</summary>
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
        RequestClose(NoticeCodes.IdleTimeout, NoticeCodes.IdleTimeoutText);
    }

    /// <summary>Counts a user request for the idle rule and the client list (as the main port counts its requests).</summary>
    internal void CountUserRequest()
    {
        Interlocked.Increment(ref _messagesInWindow);
        Interlocked.Increment(ref _messages);
        Interlocked.Exchange(ref _lastActiveTicks, _clock.GetUtcNow().UtcTicks);
    }

    private void ReleasePending()
    {
        if (Interlocked.Exchange(ref _pendingReleased, 1) == 0)
        {
            _server.ReleasePending(AddressGroup);
        }
    }

    private bool TryTakeSession(string userName)
    {
        if (!_server.TryTakeSession(this, userName))
        {
            return false;
        }

        Volatile.Write(ref _sessionState, 1);
        if (IsClosing)
        {
            ReleaseSession();
        }

        return true;
    }

    private void ReleaseSession()
    {
        if (Interlocked.CompareExchange(ref _sessionState, 2, 1) == 1)
        {
            _server.ReleaseSession(AddressGroup);
        }
    }

    private void SetReason(string reason) => Interlocked.CompareExchange(ref _closeReason, reason, null);
}
