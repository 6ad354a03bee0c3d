namespace PeerChat.Core.Server;

/// <summary>
/// Slows down password guessing: after <c>ThrottleFailures</c> failed logins within
/// <c>ThrottleWindow</c> for one user or one remote address, further attempts are refused for a
/// delay that starts at <c>ThrottleInitialDelay</c> and doubles up to <c>ThrottleMaxDelay</c>.
/// A success resets the user's counter. Nothing is ever locked out for good.
/// </summary>
internal sealed class LoginThrottle
{
    // Entries that no longer matter are pruned once the table grows past this, so that a
    // stream of made-up user names cannot grow it without bound.
    private const int PruneThreshold = 10_000;

    private readonly ChatServerOptions _options;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _lock = new();

    public LoginThrottle(ChatServerOptions options) => _options = options;

    private sealed class Entry
    {
        public readonly Queue<DateTimeOffset> Failures = new();
        public DateTimeOffset BlockedUntil;
        public TimeSpan NextDelay;
    }

    /// <summary>How long the caller must still wait before trying <paramref name="userName"/> from <paramref name="address"/>; zero when allowed.</summary>
    public TimeSpan RetryAfter(string userName, string address)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            return Max(Remaining(UserKey(userName), now), Remaining(AddressKey(address), now));
        }
    }

    public void RecordFailure(string userName, string address)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            Fail(UserKey(userName), now);
            Fail(AddressKey(address), now);
            if (_entries.Count > PruneThreshold)
            {
                Prune(now);
            }
        }
    }

    public void RecordSuccess(string userName)
    {
        lock (_lock)
        {
            _entries.Remove(UserKey(userName));
        }
    }

    private static string UserKey(string userName) => "user:" + userName;

    private static string AddressKey(string address) => "addr:" + address;

    private TimeSpan Remaining(string key, DateTimeOffset now) =>
        _entries.TryGetValue(key, out var entry) && entry.BlockedUntil > now ? entry.BlockedUntil - now : TimeSpan.Zero;

    private void Fail(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new Entry { NextDelay = _options.ThrottleInitialDelay };
            _entries.Add(key, entry);
        }

        Expire(entry, now);
        entry.Failures.Enqueue(now);
        if (entry.Failures.Count >= _options.ThrottleFailures)
        {
            entry.BlockedUntil = now + entry.NextDelay;
            var doubled = entry.NextDelay * 2;
            entry.NextDelay = doubled < _options.ThrottleMaxDelay ? doubled : _options.ThrottleMaxDelay;
        }
    }

    /// <summary>Forgets failures older than the window; with none left, the delay starts over.</summary>
    private void Expire(Entry entry, DateTimeOffset now)
    {
        while (entry.Failures.TryPeek(out var oldest) && now - oldest >= _options.ThrottleWindow)
        {
            entry.Failures.Dequeue();
        }

        if (entry.Failures.Count == 0 && entry.BlockedUntil <= now)
        {
            entry.NextDelay = _options.ThrottleInitialDelay;
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, entry) in _entries.ToList())
        {
            Expire(entry, now);
            if (entry.Failures.Count == 0 && entry.BlockedUntil <= now)
            {
                _entries.Remove(key);
            }
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
