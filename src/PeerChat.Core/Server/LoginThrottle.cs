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

        /// <summary>Attempts checked but not yet decided: they count as possible failures.</summary>
        public int InFlight;
    }

    /// <summary>
    /// Starts an attempt on <paramref name="userName"/> from <paramref name="address"/>, or says how
    /// long to wait. Attempts still being hashed count as failures-to-be, so that many logins sent at
    /// once cannot all slip past the check before the first failure is recorded. Every started
    /// attempt must be ended with <see cref="End"/>.
    /// </summary>
    public bool TryBegin(string userName, string address, out TimeSpan retryAfter)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            var user = GetEntry(UserKey(userName), now);
            var origin = GetEntry(AddressKey(address), now);
            retryAfter = Max(Remaining(user, now), Remaining(origin, now));
            // For one user, attempts under way always count (one person rarely logs in many times at
            // once); for one address only once it has failures, since many users may share it.
            if (retryAfter == TimeSpan.Zero && (WouldReachLimit(user) || (origin.Failures.Count > 0 && WouldReachLimit(origin))))
            {
                // The attempts under way may fail and block; the next may come once they are decided.
                retryAfter = _options.ThrottleInitialDelay;
            }

            if (retryAfter > TimeSpan.Zero)
            {
                return false;
            }

            user.InFlight++;
            origin.InFlight++;
            return true;
        }
    }

    /// <summary>Ends an attempt started with <see cref="TryBegin"/>: a failure counts; a success resets the user's counter; null (undecided) counts neither way.</summary>
    public void End(string userName, string address, bool? succeeded)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            var (userKey, addressKey) = (UserKey(userName), AddressKey(address));
            var user = GetEntry(userKey, now);
            var origin = GetEntry(addressKey, now);
            user.InFlight--;
            origin.InFlight--;
            if (succeeded == true)
            {
                user.Failures.Clear();
                user.BlockedUntil = default;
                user.NextDelay = _options.ThrottleInitialDelay;
            }
            else if (succeeded == false)
            {
                Fail(user, now);
                Fail(origin, now);
            }

            // An entry with nothing to remember goes at once: thousands of successful logins
            // leave no trace here, only failures (and attempts under way) do.
            RemoveIfClean(userKey, user, now);
            RemoveIfClean(addressKey, origin, now);

            if (_entries.Count > PruneThreshold)
            {
                Prune(now);
            }
        }
    }

    private bool WouldReachLimit(Entry entry) => entry.InFlight > 0 && entry.Failures.Count + entry.InFlight >= _options.ThrottleFailures;

    private Entry GetEntry(string key, DateTimeOffset now)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            entry = new Entry { NextDelay = _options.ThrottleInitialDelay };
            _entries.Add(key, entry);
        }

        Expire(entry, now);
        return entry;
    }

    private static string UserKey(string userName) => "user:" + userName;

    private static string AddressKey(string address) => "addr:" + address;

    private static TimeSpan Remaining(Entry entry, DateTimeOffset now) =>
        entry.BlockedUntil > now ? entry.BlockedUntil - now : TimeSpan.Zero;

    private void Fail(Entry entry, DateTimeOffset now)
    {
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
            RemoveIfClean(key, entry, now);
        }
    }

    private void RemoveIfClean(string key, Entry entry, DateTimeOffset now)
    {
        if (entry.Failures.Count == 0 && entry.BlockedUntil <= now && entry.InFlight == 0)
        {
            _entries.Remove(key);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
