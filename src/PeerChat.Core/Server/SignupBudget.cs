using System.Net;

namespace PeerChat.Core.Server;

/// <summary>
/// New accounts per remote address: at most <c>SignupsPerAddressPerMinute</c> in any minute. A
/// signup costs a full password hash, so without a budget one connection could keep the hashing
/// slots busy (flood control alone lets ten requests a second through) and make logins elsewhere
/// wait. Only signups that would hash are counted: a taken or invalid name costs nothing.
/// </summary>
internal sealed class SignupBudget
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Addresses with nothing left to remember are pruned when the table reaches this size, then
    // again only once it has doubled, so that many addresses neither grow it without bound nor
    // make every signup walk it.
    private const int PruneThreshold = 10_000;
    private int _nextPrune = PruneThreshold;

    private readonly ChatServerOptions _options;
    private readonly Dictionary<IPAddress, LinkedList<DateTimeOffset>> _recent = new();
    private readonly object _lock = new();

    public SignupBudget(ChatServerOptions options) => _options = options;

    /// <summary>
    /// Counts a signup from <paramref name="address"/> (<paramref name="taken"/> names it for
    /// <see cref="GiveBack"/>), or says how long until the next may come.
    /// </summary>
    public bool TryTake(IPAddress address, out TimeSpan retryAfter, out LinkedListNode<DateTimeOffset>? taken)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            if (_recent.Count >= _nextPrune)
            {
                Prune(now);
                _nextPrune = Math.Max(PruneThreshold, 2 * _recent.Count);
            }

            if (!_recent.TryGetValue(address, out var times))
            {
                times = new LinkedList<DateTimeOffset>();
                _recent.Add(address, times);
            }

            Expire(times, now);
            if (times.Count >= _options.SignupsPerAddressPerMinute)
            {
                retryAfter = times.First!.Value + Window - now;
                taken = null;
                return false;
            }

            taken = times.AddLast(now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    /// <summary>Forgets a signup counted by <see cref="TryTake"/>: it made no account.</summary>
    public void GiveBack(IPAddress address, LinkedListNode<DateTimeOffset> taken)
    {
        lock (_lock)
        {
            // Gone from its list already if it expired meanwhile.
            taken.List?.Remove(taken);
            if (_recent.TryGetValue(address, out var times) && times.Count == 0)
            {
                _recent.Remove(address);
            }
        }
    }

    private static void Expire(LinkedList<DateTimeOffset> times, DateTimeOffset now)
    {
        while (times.First is { } oldest && now - oldest.Value >= Window)
        {
            times.RemoveFirst();
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (address, times) in _recent.ToList())
        {
            Expire(times, now);
            if (times.Count == 0)
            {
                _recent.Remove(address);
            }
        }
    }
}
