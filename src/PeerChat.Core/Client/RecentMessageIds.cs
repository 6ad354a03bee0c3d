namespace PeerChat.Core.Client;

/// <summary>
/// The ids of the offline messages a session lately received, so that a message the server sends
/// again (its confirmation was lost with the connection) is kept once. Bounded by count and by
/// characters, oldest forgotten first: a server's queue holds at most OfflineQueueLimit [1000], so
/// the last 16,384 cover several logins' worth.
/// </summary>
internal sealed class RecentMessageIds
{
    private const int Capacity = 16_384;

    // Ids come from the server and are short (27 characters); the bound in characters keeps a
    // server that sends long ones from holding much memory all the same.
    private const long CapacityChars = 1024 * 1024;

    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private long _chars;

    public int Count => _seen.Count;

    /// <summary>True the first time an id is seen; false for one already here. Not thread-safe: one pump calls it.</summary>
    public bool TryRecord(string messageId)
    {
        if (_seen.Contains(messageId))
        {
            return false;
        }

        while (_order.Count > 0 && (_order.Count >= Capacity || _chars + messageId.Length > CapacityChars))
        {
            var oldest = _order.Dequeue();
            _seen.Remove(oldest);
            _chars -= oldest.Length;
        }

        _seen.Add(messageId);
        _order.Enqueue(messageId);
        _chars += messageId.Length;
        return true;
    }
}
