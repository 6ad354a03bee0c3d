using System.Globalization;
using System.Text.Json;

namespace PeerChat.Core.Protocol;

/// <summary>Times on the wire: ISO-8601 UTC with milliseconds, e.g. <c>2026-11-27T05:30:16.123Z</c>.</summary>
public static class WireTime
{
    private const string Pattern = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>The length of every time <see cref="Format"/> writes.</summary>
    public const int Length = 24;

    public static string Format(DateTimeOffset time) =>
        string.Create(Length, time, static (text, time) => Write(time, text));

    /// <summary>
    /// Writes a property whose value is <paramref name="time"/> as <see cref="Format"/> has it,
    /// without a string per call: every message frame carries one.
    /// </summary>
    public static void WriteProperty(Utf8JsonWriter writer, string name, DateTimeOffset time)
    {
        Span<char> text = stackalloc char[Length];
        Write(time, text);
        writer.WriteString(name, text);
    }

    // Digit by digit, which is what Pattern gives (DateTime's years are 1 to 9999, always four
    // digits) without the custom-format parser's cost per call.
    private static void Write(DateTimeOffset time, Span<char> text)
    {
        var utc = time.UtcDateTime;
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
    }

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

    // Every message a client receives carries a time in exactly Format's shape: read digit by digit,
    // which is what the general parser gives for it, at a fraction of the cost. Anything else
    // (another shape, a field out of range) goes to the general parser, as before.
    public static bool TryParse(string? text, out DateTimeOffset time) =>
        TryParseFormatted(text, out time)
        || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>True only for text in <see cref="Format"/>'s shape naming a valid time.</summary>
    internal static bool TryParseFormatted(string? text, out DateTimeOffset time)
    {
        time = default;
        if (text is not { Length: 24 } || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != '.' || text[23] != 'Z')
        {
            return false;
        }

        var year = Number(text, 0, 4);
        var month = Number(text, 5, 2);
        var day = Number(text, 8, 2);
        var hour = Number(text, 11, 2);
        var minute = Number(text, 14, 2);
        var second = Number(text, 17, 2);
        var millisecond = Number(text, 20, 3);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour is < 0 or > 23 || minute is < 0 or > 59 || second is < 0 or > 59 || millisecond < 0)
        {
            return false;
        }

        time = new DateTimeOffset(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);
        return true;
    }

    /// <summary>The decimal number in <paramref name="length"/> ASCII digits; -1 when one is not a digit.</summary>
    private static int Number(string text, int start, int length)
    {
        var value = 0;
        for (var i = start; i < start + length; i++)
        {
            var digit = text[i] - '0';
            if (digit is < 0 or > 9)
            {
                return -1;
            }

            value = (value * 10) + digit;
        }

        return value;
    }
}
