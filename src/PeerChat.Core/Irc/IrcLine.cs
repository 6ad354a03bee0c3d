using System.Text;
using System.Text.Unicode;

namespace PeerChat.Core.Irc;

/// <summary>
/// The IRC line grammar (RFC 1459 2.3.1, RFC 2812 2.3.1, IRCv3 message-tags), strict and bounded.
/// <see cref="Parse"/> is a pure function of the bytes: it returns a message or a typed error and
/// throws nothing, so the gateway and the fuzz harness run exactly the same code.
/// </summary>
public static class IrcLine
{
    /// <summary>The most bytes of a line after its tags, with its CRLF (RFC 1459; ISUPPORT LINELEN).</summary>
    public const int MaxBodyBytes = 512;

    /// <summary>The most bytes of the tags, with their leading <c>@</c> and the space after them (IRCv3).</summary>
    public const int MaxTagBytes = 8191;

    /// <summary>The longest line a reader has to hold before it may call it too long.</summary>
    public const int MaxLineBytes = MaxTagBytes + MaxBodyBytes;

    /// <summary>At most 15 parameters (RFC 1459 2.3.1).</summary>
    public const int MaxParameters = 15;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Parses one line: the bytes up to its LF, with or without the LF and a CR before it.
    /// Never throws: every way a line can be wrong is an <see cref="IrcLineError"/>.
    /// </summary>
    public static IrcParseResult Parse(ReadOnlySpan<byte> line)
    {
        line = TrimLineEnd(line);
        var bodyStart = 0;
        if (!line.IsEmpty && line[0] == (byte)'@')
        {
            var tagEnd = line.IndexOf((byte)' ');
            var tagBytes = tagEnd < 0 ? line.Length : tagEnd + 1;
            if (tagBytes > MaxTagBytes)
            {
                return IrcParseResult.Fail(IrcLineError.TagsTooLong, CommandOf(line));
            }

            bodyStart = tagEnd < 0 ? line.Length : tagEnd + 1;
        }

        while (bodyStart < line.Length && line[bodyStart] == (byte)' ')
        {
            bodyStart++;
        }

        // The CRLF counts in the 512 bytes, whether or not the client sent both.
        if (line.Length - bodyStart + 2 > MaxBodyBytes)
        {
            return IrcParseResult.Fail(IrcLineError.InputTooLong, CommandOf(line));
        }

        if (line.IndexOfAny((byte)0, (byte)'\r', (byte)'\n') >= 0)
        {
            return IrcParseResult.Fail(IrcLineError.ForbiddenCharacter, CommandOf(line));
        }

        if (!Utf8.IsValid(line))
        {
            return IrcParseResult.Fail(IrcLineError.InvalidUtf8, CommandOf(line));
        }

        return ParseText(StrictUtf8.GetString(line));
    }

    /// <summary>The line for <paramref name="message"/>, without CRLF. Throws on a message no line can carry.</summary>
    public static string Format(IrcMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = new StringBuilder(128);
        if (message.Tags.Count > 0)
        {
            text.Append('@');
            for (var i = 0; i < message.Tags.Count; i++)
            {
                var (key, value) = message.Tags[i];
                if (!IsValidTagKey(key))
                {
                    throw new ArgumentException($"'{key}' is not an IRC tag key.", nameof(message));
                }

                text.Append(i == 0 ? "" : ";").Append(key);
                if (!string.IsNullOrEmpty(value))
                {
                    AppendEscaped(text.Append('='), value);
                }
            }

            text.Append(' ');
        }

        if (message.Source is not null)
        {
            RequireToken(message.Source, "source");
            text.Append(':').Append(message.Source).Append(' ');
        }

        if (!IsValidCommand(message.Command))
        {
            throw new ArgumentException($"'{message.Command}' is not an IRC command.", nameof(message));
        }

        text.Append(message.Command);
        var parameters = message.Parameters;
        if (parameters.Count > MaxParameters)
        {
            throw new ArgumentException("An IRC line carries at most 15 parameters.", nameof(message));
        }

        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            RequireNoLineBreak(parameter);
            if (i < parameters.Count - 1)
            {
                RequireToken(parameter, "parameter");
                if (parameter[0] == ':')
                {
                    throw new ArgumentException("Only the last parameter may start with ':'.", nameof(message));
                }

                text.Append(' ').Append(parameter);
            }
            else
            {
                // A colon whenever the grammar needs one, and always after two or more parameters,
                // for the clients and bots that only read the text after " :".
                var colon = parameter.Length == 0 || parameter[0] == ':' || parameter.Contains(' ') || parameters.Count > 1;
                text.Append(colon ? " :" : " ").Append(parameter);
            }
        }

        return text.ToString();
    }

    /// <summary>The bytes of <paramref name="message"/> on the wire, with CRLF.</summary>
    public static byte[] Encode(IrcMessage message) => Encoding.UTF8.GetBytes(Format(message) + "\r\n");

    /// <summary>Whether <paramref name="key"/> is a tag key: <c>[+][vendor/]name</c>.</summary>
    public static bool IsValidTagKey(string key)
    {
        var start = key.StartsWith('+') ? 1 : 0;
        var slash = key.LastIndexOf('/');
        if (slash >= start)
        {
            if (slash == start || !IsAll(key.AsSpan(start, slash - start), static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'))
            {
                return false;
            }

            start = slash + 1;
        }

        return start < key.Length && IsAll(key.AsSpan(start), static c => char.IsAsciiLetterOrDigit(c) || c == '-');
    }

    private static IrcParseResult ParseText(string line)
    {
        var position = 0;
        var tags = Array.Empty<KeyValuePair<string, string>>() as IReadOnlyList<KeyValuePair<string, string>>;
        if (line.StartsWith('@'))
        {
            var end = line.IndexOf(' ');
            if (end < 0)
            {
                return IrcParseResult.Fail(IrcLineError.BadCommand);
            }

            var parsed = ParseTags(line.AsSpan(1, end - 1));
            if (parsed is null)
            {
                return IrcParseResult.Fail(IrcLineError.BadTags, CommandOf(Encoding.UTF8.GetBytes(line)));
            }

            tags = parsed;
            position = end;
        }

        position = SkipSpaces(line, position);
        if (position == line.Length)
        {
            return tags.Count == 0 ? IrcParseResult.Fail(IrcLineError.Empty) : IrcParseResult.Fail(IrcLineError.BadCommand);
        }

        string? source = null;
        if (line[position] == ':')
        {
            var end = TokenEnd(line, position);
            if (end == position + 1)
            {
                return IrcParseResult.Fail(IrcLineError.BadSource);
            }

            source = line[(position + 1)..end];
            position = SkipSpaces(line, end);
        }

        var commandEnd = TokenEnd(line, position);
        var command = line[position..commandEnd];
        if (!IsValidCommand(command))
        {
            return IrcParseResult.Fail(IrcLineError.BadCommand);
        }

        command = command.ToUpperInvariant();
        var parameters = new List<string>();
        position = commandEnd;
        while (true)
        {
            position = SkipSpaces(line, position);
            if (position == line.Length)
            {
                break;
            }

            if (parameters.Count == MaxParameters)
            {
                return IrcParseResult.Fail(IrcLineError.TooManyParameters, command);
            }

            if (line[position] == ':')
            {
                parameters.Add(line[(position + 1)..]);
                break;
            }

            var end = TokenEnd(line, position);
            parameters.Add(line[position..end]);
            position = end;
        }

        return new IrcParseResult(new IrcMessage(tags, source, command, parameters), IrcLineError.None, null);
    }

    /// <summary>The tags between <c>@</c> and the space; null when a key is malformed.</summary>
    private static List<KeyValuePair<string, string>>? ParseTags(ReadOnlySpan<char> text)
    {
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var range in text.Split(';'))
        {
            var item = text[range];
            if (item.IsEmpty)
            {
                // "@a=1;" ends with an empty item; a tag section of nothing at all is no tag.
                continue;
            }

            var equals = item.IndexOf('=');
            var key = (equals < 0 ? item : item[..equals]).ToString();
            if (!IsValidTagKey(key))
            {
                return null;
            }

            var value = equals < 0 ? "" : Unescape(item[(equals + 1)..]);
            tags.RemoveAll(tag => tag.Key == key);
            tags.Add(new(key, value));
        }

        return tags.Count == 0 ? null : tags;
    }

    private static string Unescape(ReadOnlySpan<char> value)
    {
        if (!value.Contains('\\'))
        {
            return value.ToString();
        }

        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\')
            {
                text.Append(value[i]);
                continue;
            }

            // A lone backslash at the end is dropped; an unknown escape stands for its character.
            if (++i < value.Length)
            {
                text.Append(value[i] switch { ':' => ';', 's' => ' ', 'r' => '\r', 'n' => '\n', var other => other });
            }
        }

        return text.ToString();
    }

    private static void AppendEscaped(StringBuilder text, string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("A tag value cannot carry NUL.");
        }

        IrcTags.AppendEscaped(text, value);
    }

    /// <summary>The command of a line that is refused, when it is plain ASCII; null otherwise.</summary>
    private static string? CommandOf(ReadOnlySpan<byte> line)
    {
        var position = 0;
        if (!line.IsEmpty && line[0] == (byte)'@')
        {
            var tagEnd = line.IndexOf((byte)' ');
            if (tagEnd < 0)
            {
                return null;
            }

            position = tagEnd;
        }

        line = line[position..].TrimStart((byte)' ');
        if (!line.IsEmpty && line[0] == (byte)':')
        {
            var sourceEnd = line.IndexOf((byte)' ');
            line = sourceEnd < 0 ? [] : line[sourceEnd..].TrimStart((byte)' ');
        }

        var end = line.IndexOf((byte)' ');
        var token = end < 0 ? line : line[..end];
        if (token.IsEmpty || token.Length > 32)
        {
            return null;
        }

        var command = Encoding.ASCII.GetString(token);
        return IsValidCommand(command) ? command.ToUpperInvariant() : null;
    }

    private static bool IsValidCommand(string command) =>
        command.Length > 0 && (IsAll(command, char.IsAsciiLetter) || (command.Length == 3 && IsAll(command, char.IsAsciiDigit)));

    private static bool IsAll(ReadOnlySpan<char> text, Func<char, bool> allowed)
    {
        foreach (var c in text)
        {
            if (!allowed(c))
            {
                return false;
            }
        }

        return true;
    }

    private static ReadOnlySpan<byte> TrimLineEnd(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\n')
        {
            line = line[..^1];
        }

        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        return line;
    }

    private static int SkipSpaces(string line, int position)
    {
        while (position < line.Length && line[position] == ' ')
        {
            position++;
        }

        return position;
    }

    private static int TokenEnd(string line, int position)
    {
        var space = line.IndexOf(' ', position);
        return space < 0 ? line.Length : space;
    }

    private static void RequireToken(string token, string what)
    {
        if (token.Length == 0 || token.Contains(' '))
        {
            throw new ArgumentException($"An IRC {what} must be a non-empty word.");
        }

        RequireNoLineBreak(token);
    }

    private static void RequireNoLineBreak(string text)
    {
        if (text.AsSpan().IndexOfAny('\0', '\r', '\n') >= 0)
        {
            throw new ArgumentException("An IRC line cannot carry NUL, CR or LF.");
        }
    }
}
