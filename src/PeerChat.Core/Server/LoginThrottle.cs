using PeerChat.Core.Accounts;

namespace PeerChat.Core.Server;

/// <summary>
/// Slows down password guessing without handing the guesser a lockout of someone else's account.
/// Failures are counted in <c>ThrottleWindow</c> three ways, each blocking only what it measures:
/// <list type="bullet">
/// <item>per user and address group: <c>ThrottleFailures</c> of them block that user from that group;</item>
/// <item>per address group (any user names): <c>ThrottleFailures</c> of them block that group;</item>
/// <item>per user from every group: <c>ThrottleUserFailures</c> of them delay that user's logins only
/// from groups that have failed for that user, so guessing spread over many addresses is held to
/// about one guess per fresh group, while a group with no failures (the owner, say) still gets in.</item>
/// </list>
/// A block lasts <c>ThrottleInitialDelay</c>, doubling up to <c>ThrottleMaxDelay</c>. A success clears
/// the failures of that user from that group. Nothing is ever locked out for good.
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

    /// <summary>The keys (users, address groups, pairs) the throttle remembers now.</summary>
    public int TrackedKeys
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    private sealed class Entry
    {
        public readonly Queue<DateTimeOffset> Failures = new();
        public DateTimeOffset BlockedUntil;
        public TimeSpan NextDelay;

        /// <summary>Attempts checked but not yet decided: they count as possible failures.</summary>
        public int InFlight;
    }

    /// <summary>The three entries one attempt touches.</summary>
    private readonly record struct Keys(string User, string Pair, string Origin)
    {
        // A name the rules refuse can be no account: all such names share one key, so that made-up
        // names of kilobytes each cannot fill the table (they still count against their address).
        private const string InvalidName = "<invalid>";

        // Address groups never hold '|', so a pair key cannot be confused with another pair's.
        public static Keys Of(string userName, string addressGroup)
        {
            var name = PasswordRules.IsValidUserName(userName) ? userName : InvalidName;
            return new("user:" + name, "pair:" + addressGroup + "|" + name, "addr:" + addressGroup);
        }
    }

    /// <summary>
    /// Starts an attempt on <paramref name="userName"/> from <paramref name="addressGroup"/>, or says
    /// how long to wait. Attempts still being hashed count as failures-to-be, so that many logins sent
    /// at once cannot all slip past the check before the first failure is recorded. Every started
    /// attempt must be ended with <see cref="End"/>.
    /// </summary>
    public bool TryBegin(string userName, string addressGroup, out TimeSpan retryAfter)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var keys = Keys.Of(userName, addressGroup);
        lock (_lock)
        {
            var user = GetEntry(keys.User, now);
            var pair = GetEntry(keys.Pair, now);
            var origin = GetEntry(keys.Origin, now);

            // The user-wide count holds back only groups that have failed for this user: blocking
            // every group would let anyone lock the owner out with a few guesses an hour.
            var suspect = pair.Failures.Count > 0;
            retryAfter = Max(Remaining(pair, now), Remaining(origin, now));
            if (suspect)
            {
                retryAfter = Max(retryAfter, Remaining(user, now));
            }

            // For one user from one group, attempts under way always count (one person rarely logs in
            // many times at once); for a whole group, or a user across groups, only once it has failed.
            if (retryAfter == TimeSpan.Zero
                && (WouldReachLimit(pair, _options.ThrottleFailures)
                    || (origin.Failures.Count > 0 && WouldReachLimit(origin, _options.ThrottleFailures))
                    || (suspect && WouldReachLimit(user, _options.ThrottleUserFailures))))
            {
                // The attempts under way may fail and block; the next may come once they are decided.
                retryAfter = _options.ThrottleInitialDelay;
            }

            if (retryAfter > TimeSpan.Zero)
            {
                // Entries made just for this refused attempt hold nothing: they go at once, or a
                // stream of refused attempts would grow the table (End, which prunes, never comes).
                RemoveIfClean(keys.User, user, now);
                RemoveIfClean(keys.Pair, pair, now);
                RemoveIfClean(keys.Origin, origin, now);
                return false;
            }

            user.InFlight++;
            pair.InFlight++;
            origin.InFlight++;
            return true;
        }
    }

    /// <summary>
    /// Ends an attempt started with <see cref="TryBegin"/>: a failure counts three ways; a success
    /// clears that user's failures from that group (not the user-wide count: a guesser who is not the
    /// owner must not have it reset by the owner's logins); null (undecided) counts neither way.
    /// </summary>
    public void End(string userName, string addressGroup, bool? succeeded)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var keys = Keys.Of(userName, addressGroup);
        lock (_lock)
        {
            var user = GetEntry(keys.User, now);
            var pair = GetEntry(keys.Pair, now);
            var origin = GetEntry(keys.Origin, now);
            user.InFlight--;
            pair.InFlight--;
            origin.InFlight--;
            if (succeeded == true)
            {
                pair.Failures.Clear();
                pair.BlockedUntil = default;
                pair.NextDelay = _options.ThrottleInitialDelay;
            }
            else if (succeeded == false)
            {
                Fail(pair, now, _options.ThrottleFailures);
                Fail(origin, now, _options.ThrottleFailures);
                Fail(user, now, _options.ThrottleUserFailures);
            }

            // An entry with nothing to remember goes at once: thousands of successful logins
            // leave no trace here, only failures (and attempts under way) do.
            RemoveIfClean(keys.User, user, now);
            RemoveIfClean(keys.Pair, pair, now);
            RemoveIfClean(keys.Origin, origin, now);

            if (_entries.Count > PruneThreshold)
            {
                Prune(now);
            }
        }
    }

    private static bool WouldReachLimit(Entry entry, int limit) => entry.InFlight > 0 && entry.Failures.Count + entry.InFlight >= limit;

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

    private static TimeSpan Remaining(Entry entry, DateTimeOffset now) =>
        entry.BlockedUntil > now ? entry.BlockedUntil - now : TimeSpan.Zero;

    private void Fail(Entry entry, DateTimeOffset now, int limit)
    {
        entry.Failures.Enqueue(now);

        // Once blocked, an entry stays escalated until its window empties: each further failure
        // blocks again, so a patient guesser gets one guess per block, not a new five whenever the
        // older failures slip out of the window.
        var escalated = entry.NextDelay > _options.ThrottleInitialDelay;
        if (entry.Failures.Count >= limit || escalated)
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
