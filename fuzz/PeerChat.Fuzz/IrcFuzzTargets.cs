using PeerChat.Core.Irc;

namespace PeerChat.Fuzz;

/// <summary>
/// The IRC gateway's line parser under the fuzzer (target <c>irc</c>): each LF-ended line of the input
/// is parsed as the gateway parses what a client sends. A line is a message or a typed error, never
/// an exception; and a message writes back out as a line that parses to the same message, because
/// the gateway echoes what it accepted (echo-message, relays, chathistory).
/// </summary>
public static class IrcFuzzTargets
{
    public static void Lines(byte[] input)
    {
        var rest = input.AsSpan();
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..(end + 1)];
            rest = rest[line.Length..];
            Check(line);
        }
    }

    private static void Check(ReadOnlySpan<byte> line)
    {
        var parsed = IrcLine.Parse(line);
        if (!parsed.Success)
        {
            if (parsed.Message is not null)
            {
                throw new InvalidOperationException($"A refused line ({parsed.Error}) came with a message.");
            }

            return;
        }

        var message = parsed.Message ?? throw new InvalidOperationException("A parsed line has no message.");
        if (message.Command.Any(char.IsAsciiLetterLower) || message.Parameters.Count > IrcLine.MaxParameters)
        {
            throw new InvalidOperationException($"Parsed a message the grammar forbids: {message.Command}, {message.Parameters.Count} parameters.");
        }

        // Whatever parsing accepts must be writable, or one hostile line becomes a gateway error.
        var written = IrcLine.Encode(message);
        var again = IrcLine.Parse(written);

        // Writing may lengthen the body (a colon before the last parameter): only then may the copy
        // be refused, and only as too long. Tags are never written longer than they came.
        if (again.Error == IrcLineError.InputTooLong && Sections(written).Body > Sections(line).Body)
        {
            return;
        }

        if (!again.Success || !Same(message, again.Message!))
        {
            throw new InvalidOperationException($"The line written back parses differently ({again.Error}): {System.Text.Encoding.UTF8.GetString(written)}");
        }
    }

    /// <summary>The bytes of the tag section (with '@' and its space) and of the body after it, as the parser counts them.</summary>
    private static (int Tags, int Body) Sections(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd("\r\n"u8);
        var tags = 0;
        if (!line.IsEmpty && line[0] == (byte)'@')
        {
            var space = line.IndexOf((byte)' ');
            tags = space < 0 ? line.Length : space + 1;
        }

        return (tags, line[tags..].TrimStart((byte)' ').Length);
    }

    private static bool Same(IrcMessage a, IrcMessage b) =>
        a.Command == b.Command
        && a.Source == b.Source
        && a.Parameters.SequenceEqual(b.Parameters)
        && a.Tags.SequenceEqual(b.Tags);
}
