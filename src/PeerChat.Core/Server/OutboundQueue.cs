using System.Threading.Tasks.Sources;

namespace PeerChat.Core.Server;

/// <summary>
/// One client's bounded queue of frames waiting to be written. Any thread may enqueue without
/// waiting; only the client's send loop reads. Frames are shared byte arrays, so a broadcast
/// queues the same bytes for every recipient.
/// </summary>
/// <remarks>
/// A lock and a plain queue rather than a Channel: an idle connection then holds about a hundred
/// bytes here instead of nearly a kilobyte (a channel keeps a 32-slot segment and its waiter
/// objects), which matters at thousands of clients. The one reader waits on this object itself,
/// reset for each wait, so waiting allocates nothing.
/// </remarks>
internal sealed class OutboundQueue : IValueTaskSource<bool>
{
    // A queue that grew past this for a burst gives its array back once it has drained.
    private const int TrimAbove = 256;

    private readonly Queue<byte[]> _frames = new();
    private readonly long _maxBytes;
    private readonly int _maxFrames;
    private long _queuedBytes;
    private int _peakFrames;
    private bool _completed;
    private bool _readerWaiting;

    // While held, frames queue but the reader is given none (see Hold).
    private bool _held;

    // Continuations run on the pool: an enqueuing thread (a broadcast reaching thousands) must
    // never end up running a send loop.
    private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };

    public OutboundQueue(long maxBytes, int maxFrames)
    {
        _maxBytes = maxBytes;
        _maxFrames = maxFrames;
    }

    public enum Result
    {
        Queued,

        /// <summary>The queue passed its bound: the client is a slow consumer.</summary>
        Overflow,

        /// <summary>The connection is closing and takes no more frames.</summary>
        Closed,
    }

    public long QueuedBytes
    {
        get
        {
            lock (_frames)
            {
                return _queuedBytes;
            }
        }
    }

    public int QueuedFrames
    {
        get
        {
            lock (_frames)
            {
                return _frames.Count;
            }
        }
    }

    public Result TryEnqueue(byte[] frame)
    {
        bool wake;
        lock (_frames)
        {
            if (_completed)
            {
                return Result.Closed;
            }

            if (_frames.Count + 1 > _maxFrames || _queuedBytes + frame.Length > _maxBytes)
            {
                return Result.Overflow;
            }

            Add(frame);
            wake = !_held && TakeWaitingReader();
        }

        if (wake)
        {
            _signal.SetResult(true);
        }

        return Result.Queued;
    }

    /// <summary>
    /// Frames queued from now on wait, with any already queued, until <see cref="Release"/>: a
    /// login queues its welcome while held, becomes visible to other clients, then releases, so
    /// the welcome is written first and only once the session is complete on the server.
    /// </summary>
    public void Hold()
    {
        lock (_frames)
        {
            _held = !_completed;
        }
    }

    public void Release()
    {
        bool wake;
        lock (_frames)
        {
            _held = false;
            wake = _frames.Count > 0 && TakeWaitingReader();
        }

        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>Queues the last frame of a connection past the bound, then takes no more. Only the first call counts.</summary>
    public void CompleteWith(byte[]? finalFrame)
    {
        bool wake;
        lock (_frames)
        {
            if (_completed)
            {
                return;
            }

            if (finalFrame is not null)
            {
                Add(finalFrame);
            }

            // A closing connection flushes what it holds.
            _completed = true;
            _held = false;
            wake = TakeWaitingReader();
        }

        if (wake)
        {
            _signal.SetResult(true);
        }
    }

    /// <summary>
    /// Waits until there is a frame to read (true) or the queue is completed and empty (false).
    /// Only the send loop calls it, never twice at once.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_frames)
        {
            if (_frames.Count > 0 && !_held)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _signal.Reset();
            _readerWaiting = true;
            return new ValueTask<bool>(this, _signal.Version);
        }
    }

    /// <summary>Moves queued frames into <paramref name="batch"/> up to about <paramref name="maxBytes"/>; returns their size.</summary>
    public int DrainInto(List<byte[]> batch, int maxBytes)
    {
        var total = 0;
        lock (_frames)
        {
            // Held since the reader was woken: it gets nothing and waits again.
            while (!_held && total < maxBytes && _frames.TryDequeue(out var frame))
            {
                _queuedBytes -= frame.Length;
                batch.Add(frame);
                total += frame.Length;
            }

            if (_frames.Count == 0 && _peakFrames > TrimAbove)
            {
                _frames.TrimExcess();
                _peakFrames = 0;
            }
        }

        return total;
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _signal.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _signal.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _signal.OnCompleted(continuation, state, token, flags);

    private void Add(byte[] frame)
    {
        _frames.Enqueue(frame);
        _queuedBytes += frame.Length;
        _peakFrames = Math.Max(_peakFrames, _frames.Count);
    }

    /// <summary>Under the lock: true when the reader was waiting, which the caller then wakes (outside the lock).</summary>
    private bool TakeWaitingReader()
    {
        var waiting = _readerWaiting;
        _readerWaiting = false;
        return waiting;
    }
}
