using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace PeerChat.Core.Protocol;

/// <summary>
/// One request from a client, with the fields the server reads copied out of the JSON,
/// so that nothing refers to the receive buffer once parsing returns.
/// </summary>
public sealed partial class RequestFrame
{
    public required string Type { get; init; }

    /// <summary>The client's <c>id</c> (a string or a number), echoed as <c>re</c>; null when absent.</summary>
    public JsonElement? Id => IntegerId is { } id ? JsonSerializer.SerializeToElement(id) : OtherId;

    // An id that is an integer written plainly (every ChatClient's) is kept as its value, and
    // WriteRe writes the same text back: as a JsonElement it was a copy of the request's document
    // (three objects) for every message. Any other id is that copy.
    private long? IntegerId { get; init; }

    private JsonElement? OtherId { get; init; }

    public string? Text { get; init; }
    public string? To { get; init; }

    /// <summary><c>send</c> only (an extension): the id of a direct message this relayed copy stands for, passed on to the receiver.</summary>
    public string? DirectId { get; init; }

    /// <summary>The optional <c>data</c> object, delivered verbatim.</summary>
    public JsonElement? Data { get; init; }

    /// <summary>The room of <c>join</c>, <c>leave</c>, <c>broadcast</c>, <c>history</c> and <c>mark_read</c> (the rooms extension).</summary>
    public string? Room { get; init; }

    public string? User => Others?.User;
    public string? Password => Others?.Password;

    /// <summary><c>activity</c> only (an extension): how many messages went over direct connections since the last report.</summary>
    public long? Direct => Others?.Direct;

    /// <summary><c>login</c> with <c>"presence": true</c>: send this client joined/left events.</summary>
    public bool Presence => Others?.Presence ?? false;

    /// <summary><c>login</c> with <c>"receipts": false</c>: no <c>sent</c> answer to a successful broadcast or send.</summary>
    public bool Receipts => Others?.Receipts ?? true;

    /// <summary>The other user of a direct conversation, in <c>history</c> and <c>mark_read</c>.</summary>
    public string? With => Others?.With;

    /// <summary><c>history</c>'s cursors: a message id to page before or after, or a time (as sent; the handler reads it).</summary>
    public string? Before => Others?.Before;

    public string? After => Others?.After;

    public string? Since => Others?.Since;

    /// <summary><c>history</c>'s page size: null when absent, 0 when present but not a positive integer.</summary>
    public int? Limit => Others?.Limit;

    /// <summary>The message id of <c>received</c> and <c>mark_read</c>.</summary>
    public string? UpTo => Others?.UpTo;

    public int? PeerPort => Others?.PeerPort;
    public string? PeerFingerprint => Others?.PeerFingerprint;

    // The fields of the other requests (login, history, read markers, direct links), apart: a
    // request of those sent for every message (send, broadcast) has none of them, and is then
    // half the size. Null when the frame has none of them.
    private OtherFields? Others { get; init; }

    private sealed class OtherFields
    {
        public string? User { get; init; }
        public string? Password { get; init; }
        public long? Direct { get; init; }
        public bool Presence { get; init; }
        public bool Receipts { get; init; } = true;
        public string? With { get; init; }
        public string? Before { get; init; }
        public string? After { get; init; }
        public string? Since { get; init; }
        public int? Limit { get; init; }
        public string? UpTo { get; init; }
        public int? PeerPort { get; init; }
        public string? PeerFingerprint { get; init; }
    }

    /// <summary>
    /// Parses one line. A line that is not valid UTF-8, not JSON, not an object, has a string that
    /// is not valid Unicode (a lone surrogate escape), or has no string <c>type</c> fails with
    /// <paramref name="error"/> saying why (the <c>bad_frame</c> message).
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> line, out RequestFrame? frame, out string error)
    {
        // A frame (nearly every line) is read in place, its document given back at once; any other
        // line goes the way below, which says what is wrong with it.
        if (line.IsSingleSegment && JsonFrame.TryParseInPlace(line.First, out var document))
        {
            using (document)
            {
                return TryRead(document.RootElement, out frame, out error);
            }
        }

        frame = null;
        var fault = JsonFrame.TryParse(line, out var root);
        error = fault switch
        {
            FrameFault.None => string.Empty,
            FrameFault.NotUtf8 => "The frame is not valid UTF-8.",
            FrameFault.NotJson => "The frame is not valid JSON.",
            FrameFault.MoreThanOneValue => "The frame has more than one JSON value.",
            FrameFault.LoneSurrogate => "The frame has a string that is not valid Unicode (a lone surrogate escape such as \\ud800).",
            FrameFault.NotObject => "The frame is not a JSON object.",
            _ => "The frame has no string 'type'.",
        };
        return fault == FrameFault.None && TryRead(root, out frame, out error);
    }

    private static bool TryRead(JsonElement root, out RequestFrame? frame, out string error)
    {
        frame = null;
        var fields = Fields.Read(root);

        long? integerId = null;
        JsonElement? id = null;
        if (IsPlainInteger(fields.Id, out var integer))
        {
            integerId = integer;
        }
        else if (fields.Id.ValueKind != JsonValueKind.Undefined)
        {
            if (fields.Id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                error = "'id' must be a string or a number.";
                return false;
            }

            // Cloned, as data below: the document may be one read in place and given back once
            // parsing returns. (From a document that owns its memory, Clone returns the element.)
            id = fields.Id.Clone();
        }

        JsonElement? data = null;
        if (fields.Data.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            if (fields.Data.ValueKind != JsonValueKind.Object)
            {
                error = "'data' must be a JSON object.";
                return false;
            }

            data = fields.Data.Clone();
        }

        // Where these are given they must be strings: a "room" that is a number must not turn a
        // room message into one to everyone.
        if (NotAString(fields.Room, "room", out error) || NotAString(fields.With, "with", out error)
            || NotAString(fields.Before, "before", out error) || NotAString(fields.After, "after", out error)
            || NotAString(fields.Since, "since", out error) || NotAString(fields.UpTo, "upTo", out error))
        {
            return false;
        }

        int? peerPort = null;
        string? peerFingerprint = null;
        if (fields.Peer.ValueKind == JsonValueKind.Object)
        {
            var peer = fields.Peer;
            // TryGetInt32 throws on a non-number, so the kind is checked first (found by fuzzing,
            // fuzz/regressions/frames: "peer":{"port":[...]} ended the connection with a server error).
            if (peer.TryGetProperty("port", out var port) && port.ValueKind == JsonValueKind.Number && port.TryGetInt32(out var portNumber) && portNumber is > 0 and <= 65535)
            {
                peerPort = portNumber;
            }

            peerFingerprint = OptionalString(peer, "fingerprint");
        }

        frame = new RequestFrame
        {
            Type = TypeName(fields.Type),
            IntegerId = integerId,
            OtherId = id,
            Text = StringOrNull(fields.Text),
            To = StringOrNull(fields.To),
            DirectId = StringOrNull(fields.DirectId),
            Data = data,
            Room = StringOrNull(fields.Room),
            Others = fields.HasOthers ? new OtherFields
            {
                User = StringOrNull(fields.User),
                Password = StringOrNull(fields.Password),
                Direct = fields.Direct.ValueKind == JsonValueKind.Number && fields.Direct.TryGetInt64(out var directCount) && directCount >= 0 ? directCount : null,
                Presence = fields.Presence.ValueKind == JsonValueKind.True,
                Receipts = fields.Receipts.ValueKind != JsonValueKind.False,
                PeerPort = peerPort,
                PeerFingerprint = peerFingerprint,
                With = StringOrNull(fields.With),
                Before = StringOrNull(fields.Before),
                After = StringOrNull(fields.After),
                Since = StringOrNull(fields.Since),
                Limit = fields.Limit.ValueKind == JsonValueKind.Undefined ? null : PositiveInt(fields.Limit),
                UpTo = StringOrNull(fields.UpTo),
            } : null,
        };
        error = string.Empty;
        return true;
    }

    // The types of the frames sent most, one per message, as literals rather than a new string
    // each time; any other type is read as it is.
    private static string TypeName(JsonElement type) =>
        type.ValueEquals("send"u8) ? "send"
        : type.ValueEquals("broadcast"u8) ? "broadcast"
        : type.ValueEquals("received"u8) ? "received"
        : type.GetString()!;

    /// <summary>Writes <c>"re": id</c> when the request carried an id, as <see cref="FrameWriter.WriteRe"/> writes <see cref="Id"/>.</summary>
    public void WriteRe(Utf8JsonWriter writer)
    {
        if (IntegerId is { } id)
        {
            writer.WriteNumber("re", id);
            return;
        }

        FrameWriter.WriteRe(writer, OtherId);
    }

    // A number whose text is exactly what writing its value gives back ("-0" is not; nor 1e3, 1.0).
    private static bool IsPlainInteger(JsonElement id, out long value)
    {
        value = 0;
        if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out value))
        {
            return false;
        }

        Span<byte> text = stackalloc byte[20];
        return Utf8Formatter.TryFormat(value, text, out var written) && JsonMarshal.GetRawUtf8Value(id).SequenceEqual(text[..written]);
    }

    private static bool NotAString(JsonElement field, string name, out string error)
    {
        error = field.ValueKind is JsonValueKind.Undefined or JsonValueKind.String or JsonValueKind.Null ? string.Empty : $"'{name}' must be a string.";
        return error.Length > 0;
    }

    private static string? StringOrNull(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // A limit past int.MaxValue is as good as the largest: the server cuts it to its maximum anyway.
    private static int PositiveInt(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number > 0 ? (int)Math.Min(number, int.MaxValue) : 0;

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
