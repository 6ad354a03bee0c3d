using System.Globalization;

namespace PeerChat.Core.Protocol;

/// <summary>Times on the wire: ISO-8601 UTC with milliseconds, e.g. <c>2026-11-27T05:30:16.123Z</c>.</summary>
public static class WireTime
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    // Every message frame carries one: written digit by digit, which is what Pattern gives (DateTime's
    // years are 1 to 9999, always four digits) without the custom-format parser's cost per call.
    public static string Format(DateTimeOffset time) =>
        string.Create(24, time.UtcDateTime, static (text, utc) =>
        {
            Digits(text[..4], utc.Year);
            text[4] = '-';
            Digits(text.Slice(5, 2), utc.Month);
            text[7] = '-';
            Digits(text.Slice(8, 2), utc.Day);
            text[10] = 'T';
            Digits(text.Slice(11, 2), utc.Hour);
            text[13] = ':';
            Digits(text.Slice(14, 2), utc.Minute);
            text[16] = ':';
            Digits(text.Slice(17, 2), utc.Second);
            text[19] = '.';
            Digits(text.Slice(20, 3), utc.Millisecond);
            text[23] = 'Z';
        });

    /// <summary>The same text through the custom format string (what <see cref="Format"/> must equal).</summary>
    internal static string FormatByPattern(DateTimeOffset time) =>
        time.UtcDateTime.ToString(Pattern, CultureInfo.InvariantCulture);

    private static void Digits(Span<char> text, int value)
    {
        for (var i = text.Length - 1; i >= 0; i--)
        {
            text[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static bool TryParse(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}
