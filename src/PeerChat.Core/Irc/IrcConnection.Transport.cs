using System.Buffers;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;

namespace PeerChat.Core.Irc;

/// <summary>The bytes on the wire, as the main port moves them: TLS when the server has a certificate, batched writes, a write deadline.</summary>
internal sealed partial class IrcConnection
{
    private const int BatchBytes = 64 * 1024;

    private readonly ConnectionTransport _transport;
    private long _writeDeadline;

    private long WriteTimeoutInTimestampUnits => (long)(_options.WriteTimeout.TotalSeconds * TimeProvider.System.TimestampFrequency);

    /// <summary>TLS from the first byte; a client that starts in plain text is told so in a plain ERROR line it can read.</summary>
    private async Task<bool> StartTransportAsync()
    {
        var start = await _transport.StartAsync(_abort.Token).ConfigureAwait(false);
        if (start == TransportStart.PlainTextOnTlsPort)
        {
            _handshakeDone = true;
            RequestClose(ErrorCodes.TlsRequired, "This port speaks TLS: turn TLS (SSL) on in your client");
        }
        else if (start.FailureReason() is { } reason)
        {
            SetReason(reason);
            return false;
        }

        return true;
    }

    private ValueTask<int> ReadAsync(Memory<byte> memory) => _transport.ReadAsync(memory, _abort.Token);

    private ValueTask WriteAsync(ReadOnlyMemory<byte> bytes) => _transport.WriteAsync(bytes, _abort.Token);

    /// <summary>Writes queued lines until the queue is completed and drained, or the connection is cut.</summary>
    private async Task SendLoopAsync()
    {
        var batch = new List<byte[]>();
        try
        {
            while (await _outbound.WaitToReadAsync().ConfigureAwait(false))
            {
                var total = _outbound.DrainInto(batch, BatchBytes, out var dropped);
                if (dropped > 0)
                {
                    var notice = IrcLine.Encode(ServerNotice($"{dropped} messages to you were dropped: your client fell behind."));
                    batch.Insert(0, notice);
                    total += notice.Length;
                    _server.Counters.BroadcastsDropped(dropped);
                }

                if (batch.Count == 0 || _abort.IsCancellationRequested)
                {
                    batch.Clear();
                    if (_abort.IsCancellationRequested)
                    {
                        break;
                    }

                    continue;
                }

                Volatile.Write(ref _writeDeadline, TimeProvider.System.GetTimestamp() + WriteTimeoutInTimestampUnits);
                await WriteBatchAsync(batch, total).ConfigureAwait(false);
                Volatile.Write(ref _writeDeadline, 0);
                _server.Counters.BytesOut(total, batch.Count);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Cut: by the write watchdog, a close that ran out of time, or the end.
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            Abort(CloseReasons.ConnectionReset);
        }
        catch (Exception ex)
        {
            _server.ReportError("irc send " + ClientId, ex);
            Abort(CloseReasons.ServerError);
        }
    }

    private async ValueTask WriteBatchAsync(List<byte[]> batch, int total)
    {
        if (batch.Count == 1)
        {
            await WriteAsync(batch[0]).ConfigureAwait(false);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var offset = 0;
            foreach (var lines in batch)
            {
                lines.CopyTo(buffer, offset);
                offset += lines.Length;
            }

            await WriteAsync(buffer.AsMemory(0, total)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void CheckWriteDeadline(long nowTimestamp)
    {
        var deadline = Volatile.Read(ref _writeDeadline);
        if (deadline != 0 && nowTimestamp >= deadline)
        {
            if (!IsClosing && Interlocked.Exchange(ref _slowConsumerDropped, 1) == 0)
            {
                _server.Raise(new SlowConsumerDroppedEvent(_clock.GetUtcNow(), ClientId, UserName, _outbound.QueuedBytes, _outbound.QueuedFrames));
            }

            Abort(NoticeCodes.SlowConsumer);
        }
    }
}
