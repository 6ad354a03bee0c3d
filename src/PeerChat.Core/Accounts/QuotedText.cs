using System.Buffers;
using System.Globalization;
using System.Text;

namespace PeerChat.Core.Accounts;

/// <summary>
/// Text read from a file and quoted back in a warning: control characters (C0, DEL, C1) and the
/// invisible bidirectional formatting marks are written as <c>\u001b</c> and the like, so that a line
/// of a user file cannot move the cursor, retitle the terminal or reorder the warning it appears in.
/// </summary>
internal static class QuotedText
{
    public const char ByteOrderMark = '\uFEFF';

    // Printable ASCII: the common case, checked without looking at each character's category.
    private static readonly SearchValues<char> SafeRange =
        SearchValues.Create(Enumerable.Range(0x20, 0x7F - 0x20).Select(i => (char)i).ToArray());

    public static string Of(string text)
    {
        if (!text.AsSpan().ContainsAnyExcept(SafeRange))
        {
            return text;
        }

        var quoted = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (NeedsEscape(c))
            {
                quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                quoted.Append(c);
            }
        }

        return quoted.ToString();
    }

    private static bool NeedsEscape(char c) =>
        char.IsControl(c)
        || c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069')
        || c is '\u2028' or '\u2029' or ByteOrderMark;
}
