namespace PeerChat.Core.Client.Direct;

/// <summary>
/// The direct messages a client received lately, by sender and message id, so that a copy is
/// delivered once. A sender whose ack was lost retries the same message on a fresh link, and with
/// Auto falls back to the server's relay, naming the message as <c>directId</c>: without this
/// the receiver would get it twice.
/// </summary>
internal sealed class RecentDirectMessages
{
    // The last this many direct messages from all senders together (a few hundred kilobytes at
    // most). A copy comes within the sender's RequestTimeout (30 s) of the first, so one is missed
    // only when more than about 500 direct messages a second arrive meanwhile.
    private const int Capacity = 16_384;

    private readonly HashSet<(string From, string MessageId)> _seen = [];
    private readonly Queue<(string From, string MessageId)> _order = new();
    private readonly object _lock = new();

    /// <summary>True the first time a message is seen; false for a copy.</summary>
    public bool TryRecord(string from, string messageId)
    {
        // User names compare without case (they are ASCII), so the key holds one spelling.
        var key = (from.ToUpperInvariant(), messageId);
        lock (_lock)
        {
            if (!_seen.Add(key))
            {
                return false;
            }

            _order.Enqueue(key);
            if (_order.Count > Capacity)
            {
                _seen.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
