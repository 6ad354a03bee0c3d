using System.Threading.Channels;

namespace PeerChat.Core.Server;

/// <summary>
/// One client's bounded queue of frames waiting to be written. Any thread may enqueue without
/// waiting; only the client's send loop reads. Frames are shared byte arrays, so a broadcast
/// queues the same bytes for every recipient.
/// </summary>
internal sealed class OutboundQueue
{
    private readonly Channel<byte[]> _channel = Channel.CreateUnbounded<byte[]>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    private readonly long _maxBytes;
    private readonly int _maxFrames;
    private long _queuedBytes;
    private int _queuedFrames;

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

    public ChannelReader<byte[]> Reader => _channel.Reader;

    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    public int QueuedFrames => Volatile.Read(ref _queuedFrames);

    public Result TryEnqueue(byte[] frame)
    {
        var frames = Interlocked.Increment(ref _queuedFrames);
        var bytes = Interlocked.Add(ref _queuedBytes, frame.Length);
        if (frames > _maxFrames || bytes > _maxBytes)
        {
            Unaccount(frame);
            return Result.Overflow;
        }

        if (!_channel.Writer.TryWrite(frame))
        {
            Unaccount(frame);
            return Result.Closed;
        }

        return Result.Queued;
    }

    /// <summary>Queues the last frame of a connection past the bound, then takes no more.</summary>
    public void CompleteWith(byte[]? finalFrame)
    {
        if (finalFrame is not null && _channel.Writer.TryWrite(finalFrame))
        {
            Interlocked.Increment(ref _queuedFrames);
            Interlocked.Add(ref _queuedBytes, finalFrame.Length);
        }

        _channel.Writer.TryComplete();
    }

    /// <summary>Called by the send loop for each frame it takes.</summary>
    public void Unaccount(byte[] frame)
    {
        Interlocked.Decrement(ref _queuedFrames);
        Interlocked.Add(ref _queuedBytes, -frame.Length);
    }
}
