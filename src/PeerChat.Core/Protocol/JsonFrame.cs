using System.Buffers;
using System.Diagnostics.CodeAnalysis;
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

    /// <summary>
    /// For a frame read at once (the server's requests): a line that is a frame, as
    /// <see cref="TryParse(ReadOnlySpan{byte}, out JsonElement)"/> has it, gives a document read in
    /// place, on the line's memory and rented bookkeeping, where TryParse copies both into a
    /// document of their own for every frame. The caller reads it before the line's memory is
    /// reused and then disposes of it; an element it keeps must be a <see cref="JsonElement.Clone"/>.
    /// Any other line gives false, and TryParse says what is wrong with it.
    /// </summary>
    public static bool TryParseInPlace(ReadOnlyMemory<byte> line, [NotNullWhen(true)] out JsonDocument? document)
    {
        document = null;
        if (!Utf8.IsValid(line.Span))
        {
            return false;
        }

        // One value and nothing after it but whitespace, as TryParse checks.
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return false;
        }

        var root = parsed.RootElement;
        if (JsonStrings.HasLoneSurrogate(line.Span) || root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("type"u8, out var type) || type.ValueKind != JsonValueKind.String)
        {
            parsed.Dispose();
            return false;
        }

        document = parsed;
        return true;
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
