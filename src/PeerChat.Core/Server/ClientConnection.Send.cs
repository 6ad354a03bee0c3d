using System.Buffers;
using System.Runtime.InteropServices;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    // Frames queued together go out in one write: a small write costs about 10 µs here, so a
    // busy client gets its frames packed up to this size instead of one syscall each.
    private const int BatchBytes = 64 * 1024;

    // When the write under way must have finished (a system-clock timestamp); 0 when none is under way.
    private long _writeDeadline;

    // The batch being filled or written, one kept per thread between uses: a connection that has
    // nothing to write holds none.
    [ThreadStatic]
    private static List<byte[]>? t_spareBatch;

    private static long ToTimestampUnits(TimeSpan span) => (long)(span.TotalSeconds * TimeProvider.System.TimestampFrequency);

    /// <summary>Run on the pool by the outbound queue when a frame arrives while nothing is being written.</summary>
    void IThreadPoolWorkItem.Execute() => Pump();

    /// <summary>
    /// Writes queued frames until the queue is empty, then parks: the queue runs this again when a
    /// frame arrives, so a connection with nothing to write holds no waiting method or batch. A
    /// write that cannot finish at once goes on in <see cref="PumpAfterWriteAsync"/>. When the queue
    /// is completed and drained, or the connection is cut, the connection ends (<see cref="FinishAsync"/>).
    /// A write still blocked WriteTimeout after it began makes the client a slow consumer: the
    /// server's write watchdog sees its deadline pass (<see cref="CheckWriteDeadline"/>).
    /// </summary>
    private void Pump()
    {
        List<byte[]>? batch = null;
        try
        {
            while (!IsCut)
            {
                batch ??= RentBatch();
                var total = _outbound.DrainInto(batch, BatchBytes, out var dropped);
                if (dropped > 0)
                {
                    // Told ahead of what is still queued: the lost broadcasts were older than it.
                    var notice = FrameWriter.BroadcastsDropped(dropped);
                    batch.Insert(0, notice);
                    total += notice.Length;
                    _server.Counters.BroadcastsDropped(dropped);
                }

                if (batch.Count == 0)
                {
                    ReturnBatch(batch);
                    batch = null;
                    switch (_outbound.ParkReader(this))
                    {
                        case OutboundQueue.ReaderState.Ready:
                            continue;
                        case OutboundQueue.ReaderState.Parked:
                            // Nothing after this: the queue may already be running the next pump.
                            return;
                        default:
                            // Completed and drained: the close goes on in order.
                            _ = FinishAsync(flushed: true);
                            return;
                    }
                }

                Volatile.Write(ref _writeDeadline, TimeProvider.System.GetTimestamp() + ToTimestampUnits(Options.WriteTimeout));
                var writing = WriteBatchAsync(batch, total);
                if (!writing.IsCompleted)
                {
                    _ = PumpAfterWriteAsync(writing, batch, total);
                    return;
                }

                writing.GetAwaiter().GetResult();
                Written(batch, total);
            }
        }
        catch (Exception ex)
        {
            SendFailed(ex);
        }

        if (batch is not null)
        {
            ReturnBatch(batch);
        }

        _ = FinishAsync(flushed: false);
    }

    /// <summary>The rest of <see cref="Pump"/> once a write that had to wait for the socket has finished.</summary>
    private async Task PumpAfterWriteAsync(ValueTask writing, List<byte[]> batch, int total)
    {
        try
        {
            await writing.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SendFailed(ex);
            ReturnBatch(batch);
            _ = FinishAsync(flushed: false);
            return;
        }

        Written(batch, total);
        ReturnBatch(batch);
        Pump();
    }

    private void Written(List<byte[]> batch, int total)
    {
        Volatile.Write(ref _writeDeadline, 0);
        _server.Counters.BytesOut(total, batch.Count);
        batch.Clear();
    }

    private void SendFailed(Exception ex)
    {
        if (IsCut)
        {
            // Cut: by the write watchdog (already reported), a close that ran out of time, or the end.
            return;
        }

        if (SocketErrors.IsConnectionGone(ex))
        {
            Abort(CloseReasons.ConnectionReset);
            return;
        }

        _server.ReportError("send " + ClientId, ex);
        Abort(CloseReasons.ServerError);
    }

    private static List<byte[]> RentBatch()
    {
        var batch = t_spareBatch ?? new List<byte[]>();
        t_spareBatch = null;
        return batch;
    }

    private static void ReturnBatch(List<byte[]> batch)
    {
        batch.Clear();
        t_spareBatch = batch;
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

        var closeBy = Volatile.Read(ref _seldom) is { } seldom ? Volatile.Read(ref seldom.CloseDeadline) : 0;
        if (closeBy != 0 && nowTimestamp >= closeBy)
        {
            // A close is bounded by WriteTimeout and the linger: what is left of it is cut.
            Cut();
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

        // Nothing queued since the last sweep or more: the queue's array goes, as a burst's does.
        _outbound.TrimWhenEmpty();
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
            // Span copies: Array.CopyTo checks the arrays' types for each of a batch's many frames.
            var into = buffer.AsSpan();
            foreach (var frame in CollectionsMarshal.AsSpan(batch))
            {
                frame.AsSpan().CopyTo(into);
                into = into[frame.Length..];
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
        if (!IsClosing && Interlocked.Exchange(ref Seldom.SlowConsumerDropped, 1) == 0)
        {
            _server.Raise(new SlowConsumerDroppedEvent(Clock.GetUtcNow(), ClientId, UserName, _outbound.QueuedBytes, _outbound.QueuedFrames));
        }

        Abort(NoticeCodes.SlowConsumer);
    }
}
