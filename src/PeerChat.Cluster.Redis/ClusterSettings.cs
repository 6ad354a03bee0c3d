namespace PeerChat.Cluster.Redis;

/// <summary>The timing of a node's presence and bus reading (docs/CLUSTER.md); tests shorten them.</summary>
public sealed record ClusterSettings
{
    /// <summary>How often a node refreshes its heartbeat and sweeps the nodes whose heartbeat expired.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a heartbeat lasts: a node silent this long (killed, cut off) is swept, and its users are offline.</summary>
    public TimeSpan HeartbeatTimeToLive { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A node reads the bus at least this often without a wake-up (one lost while Redis was away).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The bus keeps about this many entries (<c>XADD MAXLEN ~</c>).</summary>
    public int BusMaxLength { get; init; } = 100_000;

    /// <summary>Bus entries one read takes at most.</summary>
    public int ReadBatch { get; init; } = 500;

    /// <summary>
    /// How far the nodes' clocks may be from Redis's: a node refilling a gap reads a conversation it
    /// has no cursor for from this long before the last bus id it read (entry ids come from SentAt).
    /// </summary>
    public TimeSpan ClockSkewAllowance { get; init; } = TimeSpan.FromSeconds(5);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HeartbeatInterval, TimeSpan.Zero, nameof(HeartbeatInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HeartbeatTimeToLive, HeartbeatInterval, nameof(HeartbeatTimeToLive));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(BusMaxLength, 1, nameof(BusMaxLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadBatch, 1, nameof(ReadBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClockSkewAllowance, TimeSpan.Zero, nameof(ClockSkewAllowance));
    }
}
