using System.Buffers;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    // Frames queued together go out in one write: a small write costs about 10 µs here, so a
    // busy client gets its frames packed up to this size instead of one syscall each.
    private const int BatchBytes = 64 * 1024;

    // When the write under way must have finished (a system-clock timestamp); 0 when none is under way.
    private long _writeDeadline;

    private long WriteTimeoutInTimestampUnits => (long)(_options.WriteTimeout.TotalSeconds * TimeProvider.System.TimestampFrequency);

    /// <summary>
    /// Writes queued frames until the queue is completed and drained, or the connection is cut.
    /// A write still blocked WriteTimeout after it began makes the client a slow consumer: the
    /// server's write watchdog sees its deadline pass (<see cref="CheckWriteDeadline"/>).
    /// </summary>
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
                    // Told ahead of what is still queued: the lost broadcasts were older than it.
                    var notice = FrameWriter.BroadcastsDropped(dropped);
                    batch.Insert(0, notice);
                    total += notice.Length;
                    _server.Counters.BroadcastsDropped(dropped);
                }

                if (batch.Count == 0 || _abort.IsCancellationRequested)
                {
                    // Woken by completion with nothing left, or cut: the loop ends at the next wait.
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
            // Cut: by the write watchdog (already reported), a close that ran out of time, or the end.
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            Abort(CloseReasons.ConnectionReset);
        }
        catch (Exception ex)
        {
            _server.ReportError("send " + ClientId, ex);
            Abort(CloseReasons.ServerError);
        }
    }

    /// <summary>
    /// Called by the server's write watchdog with <see cref="TimeProvider.GetTimestamp"/> of the
    /// system clock: a write that began more than WriteTimeout before and has not finished makes
    /// the client a slow consumer.
    /// </summary>
    public void CheckWriteDeadline(long nowTimestamp)
    {
        var deadline = Volatile.Read(ref _writeDeadline);
        if (deadline != 0 && nowTimestamp >= deadline)
        {
            OnWriteTimeout();
        }
    }

    /// <summary>Called by the server's idle sweep: an idle window that has ended is judged (<see cref="OnIdleWindowEnd"/>).</summary>
    public void CheckIdleWindow(long nowTicks)
    {
        // Claimed with a compare-and-swap, so that overlapping sweeps judge a window once.
        var windowEnd = Volatile.Read(ref _idleWindowEndTicks);
        if (windowEnd != 0 && nowTicks >= windowEnd && Interlocked.CompareExchange(ref _idleWindowEndTicks, 0, windowEnd) == windowEnd)
        {
            OnIdleWindowEnd(nowTicks);
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
            foreach (var frame in batch)
            {
                frame.CopyTo(buffer, offset);
                offset += frame.Length;
            }

            await WriteAsync(buffer.AsMemory(0, total)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void OnWriteTimeout()
    {
        if (!IsClosing && Interlocked.Exchange(ref _slowConsumerDropped, 1) == 0)
        {
            _server.Raise(new SlowConsumerDroppedEvent(_clock.GetUtcNow(), ClientId, UserName, _outbound.QueuedBytes, _outbound.QueuedFrames));
        }

        Abort(NoticeCodes.SlowConsumer);
    }
}
