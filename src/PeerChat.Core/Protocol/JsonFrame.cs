using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;

namespace PeerChat.Core.Protocol;

/// <summary>Why a line is not a frame, in the order <see cref="JsonFrame.TryParse(in ReadOnlySequence{byte}, out JsonElement)"/> checks.</summary>
public enum FrameFault
{
    None,
    NotUtf8,
    NotJson,
    MoreThanOneValue,

    /// <summary>Valid JSON with a string no reader can turn into text (<see cref="JsonStrings"/>).</summary>
    LoneSurrogate,
    NotObject,
    NoType,
}

/// <summary>
/// The one parse step of every peerchat/1 reader (server, client, direct connections): a line is a
/// frame when it is valid UTF-8, one JSON value, every string readable, an object with a string
/// <c>type</c>. Each reader words the fault its own way.
/// </summary>
public static class JsonFrame
{
    /// <summary>Parses one line (without its <c>\n</c>); on success <paramref name="frame"/> owns its memory, apart from the line.</summary>
    public static FrameFault TryParse(in ReadOnlySequence<byte> line, out JsonElement frame)
    {
        if (line.IsSingleSegment)
        {
            return TryParse(line.FirstSpan, out frame);
        }

        var rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
        try
        {
            line.CopyTo(rented);
            return TryParse(rented.AsSpan(0, (int)line.Length), out frame);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static FrameFault TryParse(ReadOnlySpan<byte> line, out JsonElement frame)
    {
        frame = default;

        // Utf8JsonReader leaves string contents unchecked; a bad byte would only throw later, from
        // GetString, far from where the line came in. Found by fuzzing (fuzz/regressions/client).
        if (!Utf8.IsValid(line))
        {
            return FrameFault.NotUtf8;
        }

        var reader = new Utf8JsonReader(line);
        JsonElement root;
        try
        {
            root = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return FrameFault.NotJson;
        }

        if (!IsWhiteSpace(line[(int)reader.BytesConsumed..]))
        {
            return FrameFault.MoreThanOneValue;
        }

        if (JsonStrings.HasLoneSurrogate(line))
        {
            return FrameFault.LoneSurrogate;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return FrameFault.NotObject;
        }

        if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return FrameFault.NoType;
        }

        frame = root;
        return FrameFault.None;
    }

    private static bool IsWhiteSpace(ReadOnlySpan<byte> rest)
    {
        foreach (var b in rest)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }
}
