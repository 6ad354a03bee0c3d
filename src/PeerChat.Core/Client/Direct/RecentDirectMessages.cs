using PeerChat.Core.Accounts;

namespace PeerChat.Core.Client.Direct;

/// <summary>
/// The direct messages a client received lately, by sender and message id, so that a copy is
/// delivered once. A sender whose ack was lost retries the same message on a fresh link, and with
/// Auto falls back to the server's relay, naming the message as <c>directId</c>: without this
/// the receiver would get it twice.
/// </summary>
internal sealed class RecentDirectMessages
{
    // A copy comes within the sender's RequestTimeout (30 s) of the first, and a fallback to the
    // relay a few seconds after that: two minutes covers both. The capacity bounds memory (a few
    // hundred kilobytes) when messages arrive faster than they expire.
    private static readonly long KeepMilliseconds = (long)TimeSpan.FromMinutes(2).TotalMilliseconds;
    private const int Capacity = 16_384;

    // Ids are chosen by the sender and may be as long as a frame allows (64 KB): the count alone
    // would let 16,384 long ids hold 2 GB. Ids of this client's senders are about 20 characters.
    private const long CapacityChars = 1024 * 1024;

    private readonly HashSet<(string From, string MessageId)> _seen = new(KeyComparer.Instance);
    private readonly Queue<(string From, string MessageId, long At)> _order = new();
    private readonly object _lock = new();
    private long _chars;

    /// <summary>The characters of the ids remembered (the memory they hold is about twice this).</summary>
    public long Chars
    {
        get
        {
            lock (_lock)
            {
                return _chars;
            }
        }
    }

    /// <summary>True the first time a message is seen; false for a copy.</summary>
    public bool TryRecord(string from, string messageId)
    {
        var now = Environment.TickCount64;
        lock (_lock)
        {
            var size = from.Length + messageId.Length;
            while (_order.TryPeek(out var oldest) && (now - oldest.At > KeepMilliseconds || _order.Count >= Capacity || _chars + size > CapacityChars))
            {
                _order.Dequeue();
                _seen.Remove((oldest.From, oldest.MessageId));
                _chars -= oldest.From.Length + oldest.MessageId.Length;
            }

            if (!_seen.Add((from, messageId)))
            {
                return false;
            }

            _order.Enqueue((from, messageId, now));
            _chars += size;
            return true;
        }
    }

    /// <summary>User names compare without case, message ids exactly; nothing is allocated to compare.</summary>
    private sealed class KeyComparer : IEqualityComparer<(string From, string MessageId)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((string From, string MessageId) x, (string From, string MessageId) y) =>
            string.Equals(x.MessageId, y.MessageId, StringComparison.Ordinal) && PasswordRules.UserNameComparer.Equals(x.From, y.From);

        public int GetHashCode((string From, string MessageId) key) =>
            HashCode.Combine(PasswordRules.UserNameComparer.GetHashCode(key.From), StringComparer.Ordinal.GetHashCode(key.MessageId));
    }
}
