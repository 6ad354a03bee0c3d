using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// Folds throttled logins into few events. A throttled attempt costs the server nothing but its
/// event, so an attacker hammering a blocked user would otherwise write one event per attempt:
/// here the first throttled attempt of a user from an address group is reported at once, and the
/// rest within <c>ThrottledLoginReportInterval</c> are counted and reported as one event with
/// their count when the interval ends (or when the server stops).
/// </summary>
internal sealed class ThrottledLoginReports
{
    // Groups alive at once; past it, new groups share one, so that made-up names cannot grow the table.
    internal const int MaxGroups = 4096;
    private const string SeveralUsers = "<several users>";
    private const string SeveralAddresses = "<several addresses>";

    private readonly ChatServerOptions _options;
    private readonly Dictionary<string, Group> _groups = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _lock = new();

    public ThrottledLoginReports(ChatServerOptions options) => _options = options;

    private sealed class Group(string userName, string address, DateTimeOffset ends)
    {
        public readonly string UserName = userName;
        public readonly DateTimeOffset Ends = ends;
        public string Address = address;
        public string ClientId = string.Empty;
        public int Unreported;
    }

    /// <summary>
    /// Counts a throttled attempt; true when it opens its group's interval and is to be raised now.
    /// <paramref name="userName"/> is already made safe to show (<see cref="Text.DisplayText.UntrustedUserName"/>).
    /// </summary>
    public bool Count(string userName, string addressGroup, string address, string clientId)
    {
        var now = _options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            var key = userName + "\n" + addressGroup;
            if (!_groups.TryGetValue(key, out var group) && _groups.Count >= MaxGroups)
            {
                key = SeveralUsers + "\n" + SeveralAddresses;
                _groups.TryGetValue(key, out group);
                userName = SeveralUsers;
                address = SeveralAddresses;
            }

            if (group is null)
            {
                _groups.Add(key, new Group(userName, address, now + _options.ThrottledLoginReportInterval));
                return true;
            }

            group.Unreported++;
            group.Address = address;
            group.ClientId = clientId;
            return false;
        }
    }

    /// <summary>Ends the intervals that are over (all of them with <paramref name="all"/>): one event for each group that counted more.</summary>
    public List<LoginFailedEvent> Flush(bool all)
    {
        var now = _options.TimeProvider.GetUtcNow();
        var reports = new List<LoginFailedEvent>();
        lock (_lock)
        {
            List<string>? ended = null;
            foreach (var (key, group) in _groups)
            {
                if (!all && group.Ends > now)
                {
                    continue;
                }

                (ended ??= []).Add(key);
                if (group.Unreported > 0)
                {
                    reports.Add(new LoginFailedEvent(now, group.ClientId, group.UserName, group.Address, ErrorCodes.Throttled, group.Unreported));
                }
            }

            foreach (var key in ended ?? [])
            {
                _groups.Remove(key);
            }
        }

        return reports;
    }
}
