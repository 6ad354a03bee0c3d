using System.Threading.Channels;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client;

/// <summary>What a session's connection is doing.</summary>
public enum ConnectionState
{
    Open,
    Reconnecting,
    Closed,
}

/// <summary>A dropped session logged in again: after how many attempts, and what had dropped it.</summary>
public sealed record ReconnectedArgs(int Attempts, ChatClientException Reason, Welcome Welcome);

/// <summary>
/// A logged-in session that outlives its connections. It forwards what each <see cref="ChatClient"/>
/// receives into one <see cref="Events"/> stream, and, with a <see cref="ReconnectPolicy"/>, logs in
/// again when a connection ends for any reason but the owner's own <see cref="CloseAsync"/> and those
/// <see cref="ReconnectPolicy.Reconnects"/> refuses. Without a policy it ends with its first connection.
/// </summary>
public sealed class ReconnectingChatClient : IAsyncDisposable
{
    private readonly Func<CancellationToken, Task<ChatClient>> _connect;
    private readonly ReconnectPolicy? _policy;
    private readonly Channel<ChatEvent> _events = Channel.CreateUnbounded<ChatEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private ChatClient _current;
    private int _state = (int)ConnectionState.Open;
    private int _reconnectCount;
    private ChatClientException? _lastDisconnectReason;

    /// <param name="first">The connection already logged in.</param>
    /// <param name="connect">Connects and logs in again (and cleans up after itself when that fails).</param>
    /// <param name="policy">When to come back; null never reconnects.</param>
    public ReconnectingChatClient(ChatClient first, Func<CancellationToken, Task<ChatClient>> connect, ReconnectPolicy? policy)
    {
        policy?.Validate();
        _current = first;
        _connect = connect;
        _policy = policy;
        Completion = Task.Run(RunAsync);
    }

    /// <summary>The connection in use now; during <see cref="ConnectionState.Reconnecting"/>, the one that ended.</summary>
    public ChatClient Current => Volatile.Read(ref _current);

    /// <summary>Everything every connection received, plus a <c>reconnected</c> notice at each return; completes when the session closes for good.</summary>
    public ChannelReader<ChatEvent> Events => _events.Reader;

    /// <summary>
    /// Open, Reconnecting or Closed; right from the moment a connection ends, before the loop that
    /// reconnects has woken up to it.
    /// </summary>
    public ConnectionState State
    {
        get
        {
            var state = (ConnectionState)Volatile.Read(ref _state);
            if (state != ConnectionState.Open || Current.IsConnected)
            {
                return state;
            }

            var reason = Current.CloseReason?.Code ?? ErrorCodes.ConnectionClosed;
            return _policy is not null && !_stopping.IsCancellationRequested && ReconnectPolicy.Reconnects(reason)
                ? ConnectionState.Reconnecting
                : ConnectionState.Closed;
        }
    }

    public bool ReconnectEnabled => _policy is not null;

    /// <summary>How many times the session logged in again.</summary>
    public int ReconnectCount => Volatile.Read(ref _reconnectCount);

    /// <summary>Why the last connection ended (the server's notice, or the local failure).</summary>
    public ChatClientException? LastDisconnectReason
    {
        // Right from the moment a connection ends, as State, before the loop has recorded it.
        get => Current.IsConnected ? Volatile.Read(ref _lastDisconnectReason) : Current.CloseReason ?? Volatile.Read(ref _lastDisconnectReason);
        private set => Volatile.Write(ref _lastDisconnectReason, value);
    }

    /// <summary>Why the session ended for good, once <see cref="State"/> is Closed.</summary>
    public ChatClientException? CloseReason { get; private set; }

    /// <summary>Completes when the session has closed for good.</summary>
    public Task Completion { get; }

    /// <summary>Raised (on a background thread) when a connection ends: its reason, and whether the session will try to come back.</summary>
    public event Action<ChatClientException, bool>? Disconnected;

    /// <summary>Raised (on a background thread) each time the session has logged in again.</summary>
    public event Action<ReconnectedArgs>? Reconnected;

    /// <summary>Confirms offline messages on the connection in use now; their queue is the user's, not one connection's.</summary>
    public Task ConfirmReceivedAsync(string upTo, CancellationToken cancellationToken = default) =>
        Current.ConfirmReceivedAsync(upTo, cancellationToken);

    /// <summary>Logs out and stops reconnecting: the owner's own end of the session.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _stopping.Cancel();
        }

        var client = Current;
        try
        {
            await client.LogoutAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _stopping.Cancel();
        }

        await Current.DisposeAsync().ConfigureAwait(false);
        await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync()
    {
        var failedAttempts = 0;
        while (true)
        {
            var client = Current;
            var clock = _policy?.TimeProvider ?? TimeProvider.System;
            var connectedAt = clock.GetTimestamp();
            await foreach (var chatEvent in client.Events.ReadAllAsync().ConfigureAwait(false))
            {
                _events.Writer.TryWrite(chatEvent);
            }

            var reason = client.CloseReason ?? new ChatClientException(ErrorCodes.ConnectionClosed, "The connection ended.");
            LastDisconnectReason = reason;
            var willReconnect = _policy is not null && !_stopping.IsCancellationRequested && ReconnectPolicy.Reconnects(reason.Code);
            if (!willReconnect)
            {
                Finish(reason, null);
                RaiseDisconnected(reason, willReconnect: false);
                return;
            }

            // A connection that held a while earned a fresh start of the backoff; one cut at once did not.
            if (clock.GetElapsedTime(connectedAt) >= _policy!.StableAfter)
            {
                failedAttempts = 0;
            }

            Volatile.Write(ref _state, (int)ConnectionState.Reconnecting);
            RaiseDisconnected(reason, willReconnect: true);
            var (next, attempts) = await LogInAgainAsync(reason, failedAttempts).ConfigureAwait(false);
            if (next is null)
            {
                return;
            }

            failedAttempts += attempts;
            Interlocked.Increment(ref _reconnectCount);
            Volatile.Write(ref _state, (int)ConnectionState.Open);
            _events.Writer.TryWrite(new ChatNotice(DateTimeOffset.UtcNow, ErrorCodes.Reconnected, $"Reconnected after {reason.Code} (attempt {attempts}): {reason.Message}", ClosesConnection: false));
            RaiseReconnected(new ReconnectedArgs(attempts, reason, next.Session!));
        }
    }

    /// <summary>
    /// Tries with backoff until a login succeeds (the new client, and the attempts it took), or the
    /// session closes (null). The backoff goes on from <paramref name="failedBefore"/> attempts.
    /// </summary>
    private async Task<(ChatClient? Client, int Attempts)> LogInAgainAsync(ChatClientException dropped, int failedBefore)
    {
        var policy = _policy!;
        TimeSpan? retryAfter = null;
        var lastFailure = dropped;
        for (var attempt = failedBefore + 1; ; attempt++)
        {
            if (policy.MaxAttempts is { } max && attempt - failedBefore > max)
            {
                Finish(lastFailure, $"Gave up reconnecting after {max} attempt(s): the session was dropped with {dropped.Code}, and the last attempt failed with {lastFailure.Code}: {lastFailure.Message}");
                RaiseDisconnected(CloseReason!, willReconnect: false);
                return (null, attempt);
            }

            ChatClient next;
            try
            {
                await Task.Delay(policy.NextDelay(attempt, retryAfter), policy.TimeProvider, _stopping.Token).ConfigureAwait(false);
                next = await _connect(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                Finish(dropped, null);
                return (null, attempt);
            }
            catch (ChatClientException ex) when (!ReconnectPolicy.Reconnects(ex.Code))
            {
                Finish(ex, $"Stopped reconnecting: {ex.Code}: {ex.Message}");
                RaiseDisconnected(CloseReason!, willReconnect: false);
                return (null, attempt);
            }
            catch (ChatClientException ex)
            {
                // Unreachable while the server restarts, full, throttled: wait longer and try again.
                retryAfter = ex.RetryAfter;
                lastFailure = ex;
                continue;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
            {
                // Anything else a login can meet is passing too: a session stuck Reconnecting because
                // this loop died would be worse than one more try.
                retryAfter = null;
                lastFailure = new ChatClientException(ErrorCodes.ConnectionClosed, $"A login failed: {ex.Message}", innerException: ex);
                continue;
            }

            lock (_gate)
            {
                if (!_stopping.IsCancellationRequested)
                {
                    Volatile.Write(ref _current, next);
                    return (next, attempt - failedBefore);
                }
            }

            // Closed by the owner while this login was under way: it must not outlive the close.
            await next.DisposeAsync().ConfigureAwait(false);
            Finish(dropped, null);
            return (null, attempt);
        }
    }

    /// <summary>Closed for good; <paramref name="notice"/>, when given, tells the inbox why it stopped coming back.</summary>
    private void Finish(ChatClientException reason, string? notice)
    {
        CloseReason = notice is null ? reason : new ChatClientException(reason.Code, notice, reason.RetryAfter, reason);
        Volatile.Write(ref _state, (int)ConnectionState.Closed);
        if (notice is not null)
        {
            _events.Writer.TryWrite(new ChatNotice(DateTimeOffset.UtcNow, reason.Code, notice, ClosesConnection: true));
        }

        _events.Writer.TryComplete();
    }

    private void RaiseDisconnected(ChatClientException reason, bool willReconnect)
    {
        try
        {
            Disconnected?.Invoke(reason, willReconnect);
        }
        catch
        {
            // A subscriber's fault must not stop the session coming back.
        }
    }

    private void RaiseReconnected(ReconnectedArgs args)
    {
        try
        {
            Reconnected?.Invoke(args);
        }
        catch
        {
            // As above.
        }
    }
}
