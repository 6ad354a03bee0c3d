using System.Text;

namespace PeerChat.Core.Irc;

/// <summary>
/// Writing IRCv3 message tags (message-tags): the values escaped as the specification says, so that
/// a value holding a space, a semicolon, a backslash, CR or LF reaches the client intact.
/// </summary>
public static class IrcTags
{
    /// <summary><paramref name="value"/> escaped for a tag value; returned as is when nothing needs escaping (the usual case).</summary>
    public static string EscapeValue(string value)
    {
        if (value.AsSpan().IndexOfAny(";\\ \r\n") < 0)
        {
            return value;
        }

        var escaped = new StringBuilder(value.Length + 8);
        AppendEscaped(escaped, value);
        return escaped.ToString();
    }

    /// <summary>Appends <paramref name="value"/> escaped for a tag value.</summary>
    public static void AppendEscaped(StringBuilder builder, string value)
    {
        foreach (var c in value)
        {
            _ = c switch
            {
                ';' => builder.Append("\\:"),
                ' ' => builder.Append("\\s"),
                '\\' => builder.Append("\\\\"),
                '\r' => builder.Append("\\r"),
                '\n' => builder.Append("\\n"),
                _ => builder.Append(c),
            };
        }
    }

    /// <summary>
    /// The tag prefix of a line (<c>@key=value;key2=value2 </c>, with its trailing space), or the empty
    /// string when there are no tags. A tag with a null value or an empty key is left out (so a
    /// caller lists the tags a client may get); an empty value writes the key alone.
    /// </summary>
    public static string Prefix(params ReadOnlySpan<(string Key, string? Value)> tags)
    {
        var builder = new StringBuilder();
        AppendPrefix(builder, tags);
        return builder.ToString();
    }

    /// <summary>Appends the tag prefix of <see cref="Prefix"/> (nothing when no tag is given).</summary>
    public static void AppendPrefix(StringBuilder builder, params ReadOnlySpan<(string Key, string? Value)> tags)
    {
        var first = true;
        foreach (var (key, value) in tags)
        {
            if (string.IsNullOrEmpty(key) || value is null)
            {
                continue;
            }

            builder.Append(first ? '@' : ';').Append(key);
            first = false;
            if (!string.IsNullOrEmpty(value))
            {
                builder.Append('=');
                AppendEscaped(builder, value);
            }
        }

        if (!first)
        {
            builder.Append(' ');
        }
    }
}
