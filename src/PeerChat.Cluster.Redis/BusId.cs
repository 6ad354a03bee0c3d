using System.Globalization;

namespace PeerChat.Cluster.Redis;

/// <summary>A stream entry id (<c>ms-seq</c>): the bus's order, so "read before" is a comparison.</summary>
internal readonly record struct BusId(long Milliseconds, long Sequence) : IComparable<BusId>
{
    /// <summary>When Redis added the entry.</summary>
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(Milliseconds);

    public static BusId Parse(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0
            || !long.TryParse(id.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            || !long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
        {
            throw new InvalidDataException($"'{id}' is not a stream entry id.");
        }

        return new BusId(ms, seq);
    }

    public int CompareTo(BusId other) =>
        Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Milliseconds}-{Sequence}");
}
