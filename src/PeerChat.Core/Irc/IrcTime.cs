using System.Globalization;

namespace PeerChat.Core.Irc;

/// <summary>
/// Times as IRCv3 writes them (server-time, chathistory's <c>timestamp=</c>): ISO 8601 in UTC with
/// milliseconds, <c>YYYY-MM-DDThh:mm:ss.sssZ</c>.
/// </summary>
public static class IrcTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary><paramref name="time"/> in UTC, to the millisecond (truncated, never rounded up past the message's time).</summary>
    public static string ToServerTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads a client's timestamp: the specification's form, and also without milliseconds or with
    /// more digits, or with an offset instead of Z (clients are not all strict). Anything finer
    /// than a millisecond is dropped, so a time read back from a server-time tag compares equal to
    /// every message that tag could have been written for.
    /// </summary>
    public static bool TryParse(string? text, out DateTimeOffset time)
    {
        time = default;
        if (string.IsNullOrEmpty(text) || text.Length > 40 || text.IndexOf('T', StringComparison.Ordinal) != 10)
        {
            return false;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return false;
        }

        time = Truncate(parsed);
        return true;
    }

    /// <summary><paramref name="time"/> in UTC, cut to the millisecond: the precision a server-time tag shows.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }
}
