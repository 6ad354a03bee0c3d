using System.Buffers;

namespace PeerChat.Core.Protocol;

/// <summary>
/// Splits a byte stream into frames. The wire grammar (docs/PROTOCOL.md, "Transport and framing"):
/// <code>frame = json-object [ "\r" ] "\n"</code>
/// </summary>
public static class LineFramer
{
    private const byte LineFeed = (byte)'\n';
    private const byte CarriageReturn = (byte)'\r';

    /// <summary>
    /// Takes one complete line off the front of <paramref name="buffer"/>, without its <c>\n</c>
    /// and without a <c>\r</c> before it. Returns false when no newline has arrived yet.
    /// </summary>
    public static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out line, LineFeed, advancePastDelimiter: true))
        {
            return false;
        }

        buffer = buffer.Slice(reader.Position);
        if (!line.IsEmpty && EndsWithCarriageReturn(line))
        {
            line = line.Slice(0, line.Length - 1);
        }

        return true;
    }

    private static bool EndsWithCarriageReturn(in ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            return line.FirstSpan[^1] == CarriageReturn;
        }

        return line.Slice(line.Length - 1).FirstSpan[0] == CarriageReturn;
    }
}
