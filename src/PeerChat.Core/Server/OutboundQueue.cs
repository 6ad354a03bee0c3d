using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace PeerChat.Core.Server;

/// <summary>
/// One client's bounded queue of frames waiting to be written. Any thread may enqueue without
/// waiting; only the client's send loop reads. Frames are shared byte arrays, so a broadcast
/// queues the same bytes for every recipient.
/// </summary>
/// <remarks>
/// Two bounds. Past the soft one the oldest queued broadcasts are dropped and counted (the send
/// loop tells the client how many), so a reader that falls behind a burst loses old broadcasts,
/// not its connection; replies, notices and direct messages are never dropped. Only past the hard
/// bound, which those alone can reach, is the client a slow consumer.
/// </remarks>
/// <remarks>
/// A lock and a plain queue rather than a Channel: an idle connection then holds about a hundred
/// bytes here instead of nearly a kilobyte (a channel keeps a 32-slot segment and its waiter
/// objects), which matters at thousands of clients. The one reader waits on this object itself,
/// reset for each wait, so waiting allocates nothing. What an idle connection does not use is not
/// held: the bounds are one object for all of a server's queues, the queue of frames is made at the
/// first frame and let go once the idle sweep finds it empty, and the waiting reader's signal is
/// made only for a reader that waits (<see cref="WaitToReadAsync"/>) rather than parks.
/// </remarks>
internal sealed class OutboundQueue
{
    // A queue that grew past this for a burst gives its array back once it has drained.
    private const int TrimAbove = 256;

    private readonly Bounds _bounds;

    // Each entry is a frame's byte[] or, for a broadcast (which may be dropped), its shared BroadcastFrame.
    // Null while none has been queued since the last trim. Guarded by the lock on this queue.
    private Queue<object>? _frames;
    private long _queuedBytes;

    // Broadcasts queued (so that a queue without any is not searched for them), and those dropped
    // since the send loop last told the client.
    private int _queuedBroadcasts;
    private int _droppedUnreported;
    private int _peakFrames;
    private bool _completed;
    private bool _readerWaiting;

    // A reader that parked (ParkReader) rather than waiting on WaitToReadAsync: run on the pool when woken.
    private IThreadPoolWorkItem? _parkedReader;

    // The signal of a reader that waits on WaitToReadAsync, made at its first wait.
    private Waiter? _waiter;

    // While held, frames queue but the reader is given none (see Hold).
    private bool _held;

    // Set only while a receive loop runs a request synchronously (see DeferWakesTo).
    [ThreadStatic]
    private static List<OutboundQueue>? t_deferredWakes;

    public OutboundQueue(long maxBytes, int maxFrames)
        : this(maxBytes, maxFrames, maxBytes, maxFrames)
    {
    }

    public OutboundQueue(long maxBytes, int maxFrames, long softBytes, int softFrames)
        : this(new Bounds(maxBytes, maxFrames, softBytes, softFrames))
    {
    }

    public OutboundQueue(Bounds bounds)
    {
        _bounds = bounds;
    }

    /// <summary>The hard and soft bounds of a queue, in bytes and frames: made once for all the queues of a server.</summary>
    internal sealed class Bounds(long maxBytes, int maxFrames, long softBytes, int softFrames)
    {
        public long MaxBytes { get; } = maxBytes;

        public int MaxFrames { get; } = maxFrames;

        public long SoftBytes { get; } = softBytes;

        public int SoftFrames { get; } = softFrames;
    }

    /// <summary>What <see cref="ParkReader"/> found.</summary>
    public enum ReaderState
    {
        /// <summary>There are frames to read now.</summary>
        Ready,

        /// <summary>None yet: the reader is run on the pool when there are (or when the queue completes).</summary>
        Parked,

        /// <summary>The queue is completed and empty: nothing more will come.</summary>
        Completed,
    }

    public enum Result
    {
        Queued,

        /// <summary>A broadcast found the queue past its soft bound with no older broadcast to drop: it was dropped itself, and counted.</summary>
        Dropped,

        /// <summary>The queue passed its bound: the client is a slow consumer.</summary>
        Overflow,

        /// <summary>The connection is closing and takes no more frames.</summary>
        Closed,
    }

    public long QueuedBytes
    {
        get
        {
            lock (this)
            {
                return _queuedBytes;
            }
        }
    }

    public int QueuedFrames
    {
        get
        {
            lock (this)
            {
                return Count;
            }
        }
    }

    /// <summary>Queues a frame that is kept until written: a reply, an error, a notice, a direct message.</summary>
    public Result TryEnqueue(byte[] frame) => TryEnqueue(frame, frame.Length, broadcast: false);

    /// <summary>Queues a broadcast, which may be dropped later, oldest first, when the queue passes its soft bound.</summary>
    public Result TryEnqueue(BroadcastFrame frame) => TryEnqueue(frame, frame.Bytes.Length, broadcast: true);

    private Result TryEnqueue(object entry, int length, bool broadcast)
    {
        bool wake;
        lock (this)
        {
            if (_completed)
            {
                return Result.Closed;
            }

            // An empty queue takes any one frame, whatever the soft bound.
            var bounds = _bounds;
            if (Count > 0 && PastBound(bounds.SoftBytes, bounds.SoftFrames, length))
            {
                if (_queuedBroadcasts > 0)
                {
                    DropOldestBroadcasts(length);
                }

                if (broadcast && Count > 0 && PastBound(bounds.SoftBytes, bounds.SoftFrames, length))
                {
                    // Only frames that are never dropped hold the queue past the soft bound; this
                    // broadcast is now the oldest there is, so it goes.
                    _droppedUnreported++;
                    return Result.Dropped;
                }
            }

            if (PastBound(bounds.MaxBytes, bounds.MaxFrames, length))
            {
                return Result.Overflow;
            }

            Add(entry);
            wake = !_held && TakeWaitingReader();
        }

        if (wake)
        {
            if (t_deferredWakes is { } deferred)
            {
                deferred.Add(this);
            }
            else
            {
                WakeReader();
            }
        }

        return Result.Queued;
    }

    /// <summary>
    /// Until called again with the value it returns, readers that frames queued on this thread
    /// would wake are added to <paramref name="wakes"/> instead, for <see cref="WakeAll"/>. A
    /// sender's receive loop defers them while it handles the lines of one read, as NATS's
    /// flushClients does: a receiver of 40 broadcasts from that read is then woken once and
    /// writes them in one system call, rather than being woken (a pool work item) for each.
    /// </summary>
    private static List<OutboundQueue>? DeferWakesTo(List<OutboundQueue>? wakes)
    {
        var previous = t_deferredWakes;
        t_deferredWakes = wakes;
        return previous;
    }

    /// <summary>
    /// Starts <paramref name="handle"/> (a front end's handling of one line of a read) with the
    /// wakes of what it queues on this thread deferred into <paramref name="wakes"/>
    /// (<see cref="DeferWakesTo"/>); its continuations, after an await, wake as usual.
    /// </summary>
    public static ValueTask StartDeferringWakes<TConnection, TLine>(List<OutboundQueue> wakes, TConnection connection, TLine line, Func<TConnection, TLine, ValueTask> handle)
    {
        var previous = DeferWakesTo(wakes);
        try
        {
            return handle(connection, line);
        }
        finally
        {
            DeferWakesTo(previous);
        }
    }

    /// <summary>A wait that cannot end at once first wakes the readers deferred into <paramref name="wakes"/> so far.</summary>
    public static ValueTask WakeAllBefore(ValueTask wait, List<OutboundQueue> wakes)
    {
        if (!wait.IsCompleted)
        {
            WakeAll(wakes);
        }

        return wait;
    }

    // One list of deferred wakes kept per thread between reads, as a send loop keeps its batch.
    [ThreadStatic]
    private static List<OutboundQueue>? t_spareWakes;

    /// <summary>A list for <see cref="DeferWakesTo"/>, one kept per thread between uses.</summary>
    public static List<OutboundQueue> RentWakeList()
    {
        var wakes = t_spareWakes ?? [];
        t_spareWakes = null;
        return wakes;
    }

    /// <summary>Gives back a list that <see cref="WakeAll"/> has emptied.</summary>
    public static void ReturnWakeList(List<OutboundQueue> wakes) => t_spareWakes = wakes;

    /// <summary>Wakes the readers deferred into <paramref name="wakes"/> (each is there at most once) and empties it.</summary>
    public static void WakeAll(List<OutboundQueue> wakes)
    {
        foreach (var queue in wakes)
        {
            queue.WakeReader();
        }

        wakes.Clear();
    }

    /// <summary>
    /// Like <see cref="WakeAll"/>, except that a lone parked reader (the one recipient of a direct
    /// message, say) is run here, on the caller's thread, rather than queued to the pool: a caller
    /// about to go back to waiting for its socket then writes that frame itself, and a relayed
    /// message costs one pool work item (and wake of an idle worker) fewer. Two or more readers (a
    /// broadcast's) are queued as before, so that the pool's threads share their writes.
    /// </summary>
    public static void WakeAllRunningLoneReader(List<OutboundQueue> wakes)
    {
        if (wakes.Count == 1 && wakes[0]._parkedReader is { } reader)
        {
            wakes.Clear();
            reader.Execute();
            return;
        }

        WakeAll(wakes);
    }

    /// <summary>
    /// Frames queued from now on wait, with any already queued, until <see cref="Release"/>: a
    /// login queues its welcome while held, becomes visible to other clients, then releases, so
    /// the welcome is written first and only once the session is complete on the server.
    /// </summary>
    public void Hold()
    {
        lock (this)
        {
            _held = !_completed;
        }
    }

    public void Release()
    {
        bool wake;
        lock (this)
        {
            _held = false;
            wake = Count > 0 && TakeWaitingReader();
        }

        if (wake)
        {
            WakeReader();
        }
    }

    /// <summary>Queues the last frame of a connection past the bound, then takes no more. Only the first call counts.</summary>
    public void CompleteWith(byte[]? finalFrame)
    {
        bool wake;
        lock (this)
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
            WakeReader();
        }
    }

    /// <summary>
    /// Waits until there is a frame to read (true) or the queue is completed and empty (false).
    /// Only the send loop calls it, never twice at once.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (this)
        {
            if (Count > 0 && !_held)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            var waiter = _waiter ??= new Waiter();
            var version = waiter.Reset();
            _readerWaiting = true;
            return new ValueTask<bool>(waiter, version);
        }
    }

    /// <summary>
    /// Like <see cref="WaitToReadAsync"/>, without anything waiting: when there is nothing to read
    /// yet, <paramref name="reader"/> is queued to the pool once there is, or once the queue
    /// completes, and the caller returns. A reader parked this way holds no state while idle.
    /// </summary>
    public ReaderState ParkReader(IThreadPoolWorkItem reader)
    {
        lock (this)
        {
            if (Count > 0 && !_held)
            {
                return ReaderState.Ready;
            }

            if (_completed)
            {
                return ReaderState.Completed;
            }

            _parkedReader = reader;
            _readerWaiting = true;
            return ReaderState.Parked;
        }
    }

    /// <summary>
    /// Moves queued frames into <paramref name="batch"/> up to about <paramref name="maxBytes"/>;
    /// returns their size. <paramref name="dropped"/> is the number of broadcasts dropped since the
    /// last call, which the caller tells the client ahead of the frames.
    /// </summary>
    public int DrainInto(List<byte[]> batch, int maxBytes, out int dropped)
    {
        var total = 0;
        dropped = 0;
        lock (this)
        {
            if (_held)
            {
                // Held since the reader was woken: it gets nothing and waits again.
                return 0;
            }

            dropped = _droppedUnreported;
            _droppedUnreported = 0;
            var frames = _frames;
            if (frames is null)
            {
                return 0;
            }

            while (total < maxBytes && frames.TryDequeue(out var entry))
            {
                byte[] frame;
                if (entry is BroadcastFrame broadcast)
                {
                    frame = broadcast.Bytes;
                    _queuedBroadcasts--;
                }
                else
                {
                    frame = Unsafe.As<byte[]>(entry);
                }

                _queuedBytes -= frame.Length;

                batch.Add(frame);
                total += frame.Length;
            }

            if (frames.Count == 0 && _peakFrames > TrimAbove)
            {
                // The burst's queue goes with its array; the next frame makes a small one.
                _frames = null;
                _peakFrames = 0;
            }
        }

        return total;
    }

    /// <summary>
    /// An empty queue lets go of its queue of frames (and that one's array), so that an idle
    /// connection holds neither; called by the server's idle sweep (about once a second), so a busy
    /// queue still keeps them between frames.
    /// </summary>
    public void TrimWhenEmpty()
    {
        lock (this)
        {
            if (_frames is { Count: 0 })
            {
                _frames = null;
                _peakFrames = 0;
            }
        }
    }

    /// <summary>Moves queued frames into <paramref name="batch"/> up to about <paramref name="maxBytes"/>; returns their size.</summary>
    public int DrainInto(List<byte[]> batch, int maxBytes) => DrainInto(batch, maxBytes, out _);

    /// <summary>The one waiting reader's signal, reset for each wait (see <see cref="WaitToReadAsync"/>).</summary>
    private sealed class Waiter : IValueTaskSource<bool>
    {
        // Continuations run on the pool: an enqueuing thread (a broadcast reaching thousands) must
        // never end up running a send loop.
        private ManualResetValueTaskSourceCore<bool> _signal = new() { RunContinuationsAsynchronously = true };

        public short Reset()
        {
            _signal.Reset();
            return _signal.Version;
        }

        public void Wake() => _signal.SetResult(true);

        public bool GetResult(short token) => _signal.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _signal.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _signal.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>Under the lock: how many entries are queued.</summary>
    private int Count => _frames?.Count ?? 0;

    // Every frame of every receiver passes here once, as it is queued (the drain tests its entries
    // inline): the sealed class is tested by its type handle alone, where `as byte[]` would call
    // the runtime's cast helper. Entries are only ever a byte[] or a BroadcastFrame.
    private static byte[] BytesOf(object entry) => entry is BroadcastFrame broadcast ? broadcast.Bytes : Unsafe.As<byte[]>(entry);

    private void Add(object entry)
    {
        var frames = _frames ??= new Queue<object>();
        frames.Enqueue(entry);
        _queuedBytes += BytesOf(entry).Length;
        if (entry is BroadcastFrame)
        {
            _queuedBroadcasts++;
        }

        _peakFrames = Math.Max(_peakFrames, frames.Count);
    }

    /// <summary>Under the lock: whether one more frame of <paramref name="bytes"/> would pass these bounds.</summary>
    private bool PastBound(long maxBytes, int maxFrames, int bytes) =>
        Count + 1 > maxFrames || _queuedBytes + bytes > maxBytes;

    /// <summary>
    /// Under the lock: drops the oldest queued broadcasts until the queue, with a frame of
    /// <paramref name="incomingBytes"/> to come, is at three quarters of its soft bound or holds
    /// no more broadcasts. Going well below the bound means the queue is walked (once, keeping
    /// order) only every quarter of the bound, not for every frame of a reader that stays behind.
    /// </summary>
    private void DropOldestBroadcasts(int incomingBytes)
    {
        // Called only with frames queued.
        var frames = _frames!;
        var targetBytes = (_bounds.SoftBytes * 3 / 4) - incomingBytes;
        var targetFrames = (_bounds.SoftFrames * 3 / 4) - 1;
        for (var remaining = frames.Count; remaining > 0; remaining--)
        {
            var entry = frames.Dequeue();
            var pastTarget = _queuedBytes > targetBytes || frames.Count + 1 > targetFrames;
            if (entry is BroadcastFrame broadcast && pastTarget)
            {
                _queuedBytes -= broadcast.Bytes.Length;
                _queuedBroadcasts--;
                _droppedUnreported++;
            }
            else
            {
                frames.Enqueue(entry);
            }
        }
    }

    /// <summary>Outside the lock, after <see cref="TakeWaitingReader"/>: the parked reader runs on the pool, a waiting one continues.</summary>
    private void WakeReader()
    {
        if (_parkedReader is { } reader)
        {
            // As the waiting reader's continuation would be: on the pool, never on the enqueuing thread.
            ThreadPool.UnsafeQueueUserWorkItem(reader, preferLocal: true);
            return;
        }

        _waiter!.Wake();
    }

    /// <summary>Under the lock: true when the reader was waiting, which the caller then wakes (outside the lock).</summary>
    private bool TakeWaitingReader()
    {
        var waiting = _readerWaiting;
        _readerWaiting = false;
        return waiting;
    }
}
