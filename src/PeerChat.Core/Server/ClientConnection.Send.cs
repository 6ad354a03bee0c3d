using System.Buffers;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    // Frames queued together go out in one write: a small write costs about 10 µs here, so a
    // busy client gets its frames packed up to this size instead of one syscall each.
    private const int BatchBytes = 64 * 1024;

    /// <summary>
    /// Writes queued frames until the queue is completed and drained, or the connection is cut.
    /// A write blocked longer than WriteTimeout makes the client a slow consumer.
    /// </summary>
    private async Task SendLoopAsync()
    {
        var reader = _outbound.Reader;
        using var writeTimeout = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        var batch = new List<byte[]>();
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                var total = 0;
                while (total < BatchBytes && reader.TryRead(out var frame))
                {
                    _outbound.Unaccount(frame);
                    batch.Add(frame);
                    total += frame.Length;
                }

                writeTimeout.CancelAfter(_options.WriteTimeout);
                await WriteBatchAsync(batch, total, writeTimeout.Token).ConfigureAwait(false);
                if (!writeTimeout.TryReset())
                {
                    // The timeout fired just as the write finished: the client is as slow as if it had not.
                    OnWriteTimeout();
                    break;
                }

                _server.Counters.BytesOut(total, batch.Count);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (writeTimeout.IsCancellationRequested && !_abort.IsCancellationRequested)
        {
            OnWriteTimeout();
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            Abort("connection_reset");
        }
        catch (Exception ex)
        {
            _server.ReportError("send " + ClientId, ex);
            Abort("server_error");
        }
    }

    private async ValueTask WriteBatchAsync(List<byte[]> batch, int total, CancellationToken cancellationToken)
    {
        if (batch.Count == 1)
        {
            await _stream.WriteAsync(batch[0], cancellationToken).ConfigureAwait(false);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var offset = 0;
            foreach (var frame in batch)
            {
                frame.CopyTo(buffer, offset);
                offset += frame.Length;
            }

            await _stream.WriteAsync(buffer.AsMemory(0, total), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void OnWriteTimeout()
    {
        if (!IsClosing)
        {
            _server.Raise(new SlowConsumerDroppedEvent(_clock.GetUtcNow(), ClientId, UserName, _outbound.QueuedBytes, _outbound.QueuedFrames));
        }

        Abort(Protocol.NoticeCodes.SlowConsumer);
    }
}
