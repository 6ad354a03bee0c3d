using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace PeerChat.Core.Protocol;

/// <summary>
/// Checks that every string in a JSON text can be read as a string. Valid UTF-8 and valid JSON are
/// not enough: an escape such as <c>"\ud800"</c> (a lone surrogate) is valid JSON syntax, yet
/// <see cref="JsonElement.GetString"/> and <see cref="JsonElement.WriteTo"/> throw on it, far from
/// where the frame came in. Whoever reads frames from the network checks this where they enter.
/// </summary>
public static class JsonStrings
{
    private const byte Backslash = (byte)'\\';

    /// <summary>
    /// True when a string or property name in <paramref name="utf8Json"/> escapes a surrogate that
    /// is not part of a pair. The text must already be valid UTF-8 JSON: then a backslash occurs
    /// only inside strings, as the start of an escape, so a plain scan for escapes finds them all
    /// (and a frame without backslashes costs one vectorised search).
    /// </summary>
    public static bool HasLoneSurrogate(ReadOnlySpan<byte> utf8Json)
    {
        var pendingHigh = false;
        var i = utf8Json.IndexOf(Backslash);
        if (i < 0)
        {
            return false;
        }

        while (i < utf8Json.Length)
        {
            if (utf8Json[i] != Backslash)
            {
                if (pendingHigh)
                {
                    return true;
                }

                var next = utf8Json[i..].IndexOf(Backslash);
                if (next < 0)
                {
                    return false;
                }

                i += next;
                continue;
            }

            if (i + 1 >= utf8Json.Length)
            {
                return pendingHigh;
            }

            if (utf8Json[i + 1] != (byte)'u')
            {
                // \n, \", \\ and the like: two bytes, never a surrogate.
                if (pendingHigh)
                {
                    return true;
                }

                i += 2;
                continue;
            }

            if (i + 6 > utf8Json.Length || !TryHex4(utf8Json.Slice(i + 2, 4), out var unit))
            {
                // Not JSON after all; the parser, not this check, refuses it.
                return false;
            }

            var isHigh = unit is >= 0xD800 and <= 0xDBFF;
            var isLow = unit is >= 0xDC00 and <= 0xDFFF;
            if (pendingHigh != isLow)
            {
                // A high surrogate not followed by a low one, or a low one without a high one before it.
                return true;
            }

            pendingHigh = isHigh;
            i += 6;
        }

        return pendingHigh;
    }

    /// <summary>The same check for an element already parsed (its raw text is read without copying).</summary>
    public static bool HasLoneSurrogate(JsonElement element) => HasLoneSurrogate(JsonMarshal.GetRawUtf8Value(element));

    /// <summary>The same check for a line that may span buffer segments.</summary>
    public static bool HasLoneSurrogate(in ReadOnlySequence<byte> utf8Json) =>
        utf8Json.IsSingleSegment ? HasLoneSurrogate(utf8Json.FirstSpan) : HasLoneSurrogate(utf8Json.ToArray());

    private static bool TryHex4(ReadOnlySpan<byte> hex, out int value)
    {
        value = 0;
        foreach (var b in hex)
        {
            var digit = b switch
            {
                >= (byte)'0' and <= (byte)'9' => b - '0',
                >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value * 16) + digit;
        }

        return true;
    }
}
