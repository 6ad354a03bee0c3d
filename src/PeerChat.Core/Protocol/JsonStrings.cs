using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace PeerChat.Core.Protocol;

/// <summary>
/// Checks that every string of a JSON text, property names included, is valid Unicode once its
/// escapes are undone. Valid UTF-8 cannot hold a lone surrogate, but an escape can (<c>"\ud800"</c>),
/// and System.Text.Json parses such a text and throws only later, when the string is read or the
/// value written out: a frame is checked once, where it enters, so nothing downstream meets one.
/// </summary>
public static class JsonStrings
{
    /// <summary>
    /// True when no string in <paramref name="utf8Json"/> (already known to be valid UTF-8 and valid
    /// JSON) holds a lone surrogate escape.
    /// </summary>
    public static bool AreValidUnicode(ReadOnlySpan<byte> utf8Json)
    {
        // Only escapes can break a string, and most frames have none.
        if (utf8Json.IndexOf((byte)'\\') < 0)
        {
            return true;
        }

        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName
                    && reader.ValueIsEscaped
                    && !EscapesAreValid(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan))
                {
                    return false;
                }
            }
        }
        catch (JsonException)
        {
            // Not ours to judge: the caller parses (and refuses) malformed JSON itself.
        }

        return true;
    }

    /// <summary>True when no string in <paramref name="element"/> holds a lone surrogate escape.</summary>
    public static bool AreValidUnicode(JsonElement element) =>
        AreValidUnicode(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element));

    /// <summary>Walks the escapes of one raw string value: a high surrogate must be followed at once by an escaped low one.</summary>
    private static bool EscapesAreValid(ReadOnlySpan<byte> raw)
    {
        var expectLow = false;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\')
            {
                if (expectLow)
                {
                    return false;
                }

                continue;
            }

            i++;
            if (raw[i] != (byte)'u')
            {
                if (expectLow)
                {
                    return false;
                }

                continue;
            }

            // The reader has checked that four hex digits follow.
            Utf8Parser.TryParse(raw.Slice(i + 1, 4), out ushort unit, out _, 'x');
            i += 4;
            var isHigh = unit is >= 0xD800 and <= 0xDBFF;
            var isLow = unit is >= 0xDC00 and <= 0xDFFF;
            if (expectLow != isLow)
            {
                return false;
            }

            expectLow = isHigh;
        }

        return !expectLow;
    }
}
