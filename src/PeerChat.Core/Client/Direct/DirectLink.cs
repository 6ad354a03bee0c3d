using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;
using StoredMessage = PeerChat.Core.Chat.ChatMessage;

namespace PeerChat.Core.Client.Direct;

/// <summary>
/// The sender's side of a direct connection to one peer: opened with the token the server gave,
/// reused for later messages, closed after DirectIdleTimeout unused. Each message waits for its ack;
/// one that is not acked within RequestTimeout closes the link (its timer checks, not one per message).
/// </summary>
internal sealed class DirectLink : IAsyncDisposable
{
    // Longer than any id a sender makes (a prefix and a counter): a longer one waits for nothing here.
    private const int MaxAckIdChars = 128;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly FrameReader _reader;
    private readonly ChatClientOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, PendingAck> _acks = new(StringComparer.Ordinal);

    // The acks' ids looked up as the chars read from the line, without a string for each.
    private readonly ConcurrentDictionary<string, PendingAck>.AlternateLookup<ReadOnlySpan<char>> _ackLookup;
    private readonly CancellationTokenSource _closed = new();

    // Fires when the link may have been unused for DirectIdleTimeout, and at least every
    // AckCheckInterval, so that a missing ack is found without a timer for every message.
    private readonly ITimer _timer;
    private long _lastUsed;
    private Task _readLoop = Task.CompletedTask;

    private DirectLink(Socket socket, Stream stream, ChatClientOptions options, string peerUser)
    {
        _socket = socket;
        _stream = stream;
        _reader = new FrameReader(_stream, options.MaxDirectFrameBytes);
        _ackLookup = _acks.GetAlternateLookup<ReadOnlySpan<char>>();
        _options = options;
        PeerUser = peerUser;
        _lastUsed = options.TimeProvider.GetTimestamp();
        _timer = options.TimeProvider.CreateTimer(static state => ((DirectLink)state!).OnTimer(), this, NextCheck(options.DirectIdleTimeout), Timeout.InfiniteTimeSpan);
    }

    // An ack later than RequestTimeout is noticed within a quarter of it more.
    private TimeSpan AckCheckInterval => _options.RequestTimeout / 4;

    public string PeerUser { get; }

    public bool IsOpen => !_closed.IsCancellationRequested;

    /// <summary>
    /// Connects to the peer the server named in <paramref name="grant"/> (over TLS, pinned to its
    /// fingerprint, when it gave one) and presents the token; throws <see cref="ChatClientException"/>
    /// (<c>peer_unavailable</c>, <c>invalid_token</c>, <c>certificate_rejected</c>) when refused, and
    /// <c>direct_tls_required</c> without connecting when this session uses TLS and the peer gave no fingerprint.
    /// </summary>
    public static async Task<DirectLink> OpenAsync(PeerGrant grant, string fromUser, ChatClientOptions options, CancellationToken cancellationToken)
    {
        var (peerUser, endpoint, token) = (grant.To, grant.Endpoint, grant.Token);
        if (!IPEndPoint.TryParse(endpoint, out var address))
        {
            throw new ChatClientException(ErrorCodes.PeerUnavailable, $"The server gave '{endpoint}' as {peerUser}'s address, which is not ip:port.");
        }

        if (options.UseTls && grant.Fingerprint is null)
        {
            // A session that keeps its server connection private keeps its messages private too:
            // with no fingerprint to pin, the link would be plain TCP, text and data readable on the way.
            throw new ChatClientException(ErrorCodes.DirectTlsRequired, $"{peerUser} announced no certificate fingerprint for direct connections, and this session speaks TLS: a direct message would go in clear text. Send it through the server (-Route Relay or Auto).");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.DirectConnectTimeout);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        DirectLink? link = null;
        try
        {
            await socket.ConnectAsync(address, timeout.Token).ConfigureAwait(false);
            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (grant.Fingerprint is { } fingerprint)
            {
                stream = await ClientTls.AuthenticatePeerAsync(stream, peerUser, fingerprint, timeout.Token).ConfigureAwait(false);
            }

            link = new DirectLink(socket, stream, options, peerUser);
            await link.WriteAsync(PeerFrames.Hello(fromUser, token), timeout.Token).ConfigureAwait(false);

            // The receiver may hold an early token for a few seconds while its peer_expect arrives.
            timeout.CancelAfter(options.DirectConnectTimeout + options.PeerTokenWait);
            var answer = await link._reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            switch (answer is { } frame ? ServerFrames.Type(frame) : null)
            {
                case "peer_welcome":
                    // The loop outlives this call, so the connect token must not stop it.
                    link._readLoop = Task.Run(link.ReadAcksAsync, CancellationToken.None);
                    return link;
                case "error":
                    throw ServerFrames.Error(answer!.Value);
                default:
                    throw new ChatClientException(ErrorCodes.PeerUnavailable, $"{peerUser} at {endpoint} did not welcome the connection.");
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or BadFrameException && !cancellationToken.IsCancellationRequested)
        {
            await DisposeQuietly(link, socket).ConfigureAwait(false);
            throw new ChatClientException(ErrorCodes.PeerUnavailable, $"Cannot reach {peerUser} directly at {endpoint}: {(ex is OperationCanceledException ? "timed out" : ex.Message)}", innerException: ex);
        }
        catch
        {
            await DisposeQuietly(link, socket).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends one message and waits for its ack; returns the round-trip time.</summary>
    /// <remarks>Awaited once by its one caller: the state of a send that waits is reused by the next.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TimeSpan> SendAsync(string messageId, string fromUser, string text, JsonElement? data, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();

        // The link's timer is not moved for every message (that takes the timer queue's lock): when
        // it fires it looks at the last use and at the acks still missing.
        var sent = _options.TimeProvider.GetTimestamp();
        Volatile.Write(ref _lastUsed, sent);
        var acked = new PendingAck(sent);
        _acks[messageId] = acked;
        try
        {
            // A close that went through the acks before this one was listed has failed the others only.
            if (!IsOpen)
            {
                throw new IOException($"The direct connection to {PeerUser} closed.");
            }

            var message = new StoredMessage(
                messageId,
                ConversationKey.Direct(fromUser, PeerUser),
                fromUser,
                FromClientId: null,
                PeerUser,
                text,
                data?.GetRawText(),
                DirectId: null,
                _options.TimeProvider.GetUtcNow());
            var frame = ChatFrames.DirectMessage(message);
            await WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await (cancellationToken.CanBeCanceled ? acked.Task.WaitAsync(cancellationToken) : acked.Task).ConfigureAwait(false);
            return Stopwatch.GetElapsedTime(started);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Close();
            throw new ChatClientException(ErrorCodes.PeerUnavailable, $"The direct connection to {PeerUser} failed: {ex.Message}", innerException: ex);
        }
        finally
        {
            _acks.TryRemove(messageId, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ReadAcksAsync()
    {
        try
        {
            Func<ReadOnlySequence<byte>, bool> takeAck = TakeAck;
            while (await _reader.ReadLineAsync(takeAck, closed: false, _closed.Token).ConfigureAwait(false))
            {
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or BadFrameException)
        {
            // The link ends; pending sends fail below.
        }
        finally
        {
            Close();
        }
    }

    /// <summary>
    /// Completes the send an ack line names, if one waits; true to read on. The line is read in
    /// place and its id looked up as chars: an ack costs no document and no string.
    /// </summary>
    private bool TakeAck(ReadOnlySequence<byte> line)
    {
        Span<char> id = stackalloc char[MaxAckIdChars];
        var fault = line.IsSingleSegment ? PeerFrames.ReadAck(line.FirstSpan, id, out var length) : ReadAckCopied(line, id, out length);
        if (fault != FrameFault.None)
        {
            throw FrameReader.BadFrame(fault);
        }

        if (length >= 0 && _ackLookup.TryGetValue(id[..length], out var waiting))
        {
            waiting.TrySetResult();
        }

        return true;
    }

    // A line the pipe holds in two pieces (it crossed the end of a buffer) is read from one copy.
    private static FrameFault ReadAckCopied(in ReadOnlySequence<byte> line, Span<char> id, out int length)
    {
        var rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(rented);
            return PeerFrames.ReadAck(rented.AsSpan(0, (int)line.Length), id, out length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Written whole or not at all: a cut-short frame would corrupt the link, so a write that
            // does not finish in time closes it. Most writes finish at once (the socket's buffer takes
            // them), and only one that has to wait is timed: no timer for each frame.
            var write = _stream.WriteAsync(frame, CancellationToken.None);
            if (!write.IsCompleted)
            {
                var pending = write.AsTask();
                try
                {
                    await pending.WaitAsync(_options.RequestTimeout, CancellationToken.None).ConfigureAwait(false);
                }
                catch (TimeoutException ex)
                {
                    Close();
                    await pending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    throw new OperationCanceledException("A write to the peer did not finish in time.", ex);
                }

                return;
            }

            await write.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Close();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Closes the link when a message has waited RequestTimeout for its ack (the peer takes no more)
    /// or when the link has been unused for DirectIdleTimeout; otherwise checks again later.
    /// </summary>
    private void OnTimer()
    {
        var now = _options.TimeProvider.GetTimestamp();
        foreach (var (_, pending) in _acks)
        {
            if (_options.TimeProvider.GetElapsedTime(pending.Sent, now) >= _options.RequestTimeout)
            {
                Close($"{PeerUser} did not acknowledge a message within {_options.RequestTimeout.TotalSeconds:0.###} s");
                return;
            }
        }

        var unused = _options.TimeProvider.GetElapsedTime(Volatile.Read(ref _lastUsed), now);
        if (unused >= _options.DirectIdleTimeout)
        {
            Close();
            return;
        }

        try
        {
            _timer.Change(NextCheck(_options.DirectIdleTimeout - unused), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile.
        }
    }

    private TimeSpan NextCheck(TimeSpan idleLeft) => idleLeft < AckCheckInterval ? idleLeft : AckCheckInterval;

    private void Close(string? why = null)
    {
        lock (_acks)
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }

            _closed.Cancel();
        }

        _timer.Dispose();
        _socket.Dispose();
        _stream.Dispose();
        foreach (var waiting in _acks.Values)
        {
            waiting.TrySetException(new IOException(why ?? $"The direct connection to {PeerUser} closed."));
        }
    }

    // A message waiting for its ack, and since when (a timestamp of the options' clock).
    private sealed class PendingAck(long sent) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Sent => sent;
    }

    private static async Task DisposeQuietly(DirectLink? link, Socket socket)
    {
        if (link is not null)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }

        socket.Dispose();
    }
}
