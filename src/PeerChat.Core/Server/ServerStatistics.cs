namespace PeerChat.Core.Server;

/// <summary>A snapshot of the server's counters.</summary>
public sealed record ServerStatistics(
    int Connections,
    int LoggedInClients,
    long TotalConnections,
    long FramesIn,
    long FramesOut,
    long BytesIn,
    long BytesOut,
    long MessagesRelayed,
    long Rejected,
    long DirectConnectionsBrokered,
    long PeakUnparsedBytes,
    long BroadcastsDropped);

/// <summary>The live counters; updated with interlocked operations from any connection.</summary>
internal sealed class ServerCounters
{
    private long _totalConnections;
    private long _framesIn;
    private long _framesOut;
    private long _bytesIn;
    private long _bytesOut;
    private long _messagesRelayed;
    private long _rejected;
    private long _brokered;
    private long _peakUnparsedBytes;
    private long _broadcastsDropped;

    public void Connected() => Interlocked.Increment(ref _totalConnections);

    public void Rejected() => Interlocked.Increment(ref _rejected);

    public void Brokered() => Interlocked.Increment(ref _brokered);

    public void FrameIn(long bytes)
    {
        Interlocked.Increment(ref _framesIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void BytesOut(long bytes, int frames)
    {
        Interlocked.Add(ref _framesOut, frames);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    public void Relayed(int deliveries) => Interlocked.Add(ref _messagesRelayed, deliveries);

    /// <summary>Broadcasts dropped for clients that fell behind, counted as each client is told.</summary>
    public void BroadcastsDropped(int count) => Interlocked.Add(ref _broadcastsDropped, count);

    /// <summary>Records how many received bytes wait for their newline, to prove the frame limit bounds memory.</summary>
    public void ObserveUnparsed(long bytes)
    {
        var peak = Volatile.Read(ref _peakUnparsedBytes);
        while (bytes > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakUnparsedBytes, bytes, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    public ServerStatistics Snapshot(int connections, int loggedIn) => new(
        connections,
        loggedIn,
        Interlocked.Read(ref _totalConnections),
        Interlocked.Read(ref _framesIn),
        Interlocked.Read(ref _framesOut),
        Interlocked.Read(ref _bytesIn),
        Interlocked.Read(ref _bytesOut),
        Interlocked.Read(ref _messagesRelayed),
        Interlocked.Read(ref _rejected),
        Interlocked.Read(ref _brokered),
        Interlocked.Read(ref _peakUnparsedBytes),
        Interlocked.Read(ref _broadcastsDropped));
}
