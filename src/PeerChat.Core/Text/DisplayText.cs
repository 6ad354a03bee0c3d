using System.Globalization;
using System.Text;
using PeerChat.Core.Accounts;

namespace PeerChat.Core.Text;

/// <summary>
/// Text from the network made safe to show on a terminal. Anything a peer sends (message text,
/// user names, reasons, the lines of a user store) may hold control characters: a carriage return
/// that overwrites the sender's name, a line feed that fakes a server notice, an escape sequence
/// that retitles the window or blanks a row. Shown through these methods they are visible
/// instead: C0 as the Unicode control pictures (ESC as ␛, CR as ␍), DEL as ␡, C1 and the
/// bidirectional overrides as <c>\u0085</c>-style escapes. The data itself stays raw; only what
/// is displayed is escaped.
/// </summary>
public static class DisplayText
{
    /// <summary>One line: every control character visible, line breaks included.</summary>
    public static string Escape(string? text)
    {
        if (text is null)
        {
            return string.Empty;
        }

        var first = IndexOfUnsafe(text, 0);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        AppendEscaped(builder, text.AsSpan(first));
        return builder.ToString();
    }

    /// <summary>
    /// Several lines: a line feed stays a line break and the lines after the first start with
    /// <paramref name="indent"/>, so that a continuation sits under its sender and cannot pose as a
    /// line of its own (a notice, another sender); everything else, carriage returns included, is
    /// made visible as <see cref="Escape"/> does.
    /// </summary>
    public static string EscapeLines(string? text, string indent)
    {
        if (text is null)
        {
            return string.Empty;
        }

        if (IndexOfUnsafe(text, 0) < 0)
        {
            return text;
        }

        var lines = text.Split('\n');
        var builder = new StringBuilder(text.Length + 16 + (lines.Length * indent.Length));
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('\n').Append(indent);
            }

            AppendEscaped(builder, lines[i]);
        }

        return builder.ToString();
    }

    /// <summary>
    /// A user name given by an unauthenticated peer, for an event or a log: a valid name as it is;
    /// anything else marked, cut to the length of a valid name and escaped, with its true length,
    /// so that a 4 KB name full of escape sequences costs little and shows harmlessly.
    /// </summary>
    public static string UntrustedUserName(string? name)
    {
        if (PasswordRules.IsValidUserName(name))
        {
            return name!;
        }

        if (name is null)
        {
            return "<no name>";
        }

        var shown = name.Length <= PasswordRules.MaxUserNameLength ? name : name[..PasswordRules.MaxUserNameLength];
        if (shown.Length > 0 && char.IsHighSurrogate(shown[^1]))
        {
            shown = shown[..^1];
        }

        var more = name.Length > shown.Length ? "…" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"<invalid name, {name.Length} chars: {Escape(shown)}{more}>");
    }

    /// <summary>True when <paramref name="c"/> would act on a terminal rather than show as itself.</summary>
    public static bool IsUnsafe(char c) =>
        c < 0x20 || c is >= '\u007f' and <= '\u009f'
        || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069'
        || c is '\u2028' or '\u2029';

    private static int IndexOfUnsafe(string text, int start)
    {
        for (var i = start; i < text.Length; i++)
        {
            if (IsUnsafe(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static void AppendEscaped(StringBuilder builder, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c < 0x20)
            {
                // U+2400..U+241F: one visible glyph per C0 control (␀ ␊ ␍ ␛ …).
                builder.Append((char)(0x2400 + c));
            }
            else if (c == '\u007f')
            {
                builder.Append('\u2421');
            }
            else if (IsUnsafe(c))
            {
                // C1 controls and the invisible direction overrides have no picture of their own.
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
    }
}
