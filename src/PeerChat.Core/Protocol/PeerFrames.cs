using System.Text.Json;
using System.Text.Unicode;

namespace PeerChat.Core.Protocol;

/// <summary>
/// The frames of a direct connection between two clients (docs/PROTOCOL.md, "Direct connections"),
/// besides the <c>message</c> frame, which <see cref="ChatFrames.DirectMessage"/> writes.
/// </summary>
public static class PeerFrames
{
    /// <summary>The sender's first frame: who it is and the token the server gave for this peer.</summary>
    public static byte[] Hello(string from, string token) =>
        FrameWriter.Build("peer_hello", (from, token), static (w, s) =>
        {
            w.WriteString("from", s.from);
            w.WriteString("token", s.token);
        });

    public static byte[] Welcome() => FrameWriter.Build("peer_welcome");

    /// <summary>The receiver took the message <paramref name="messageId"/>.</summary>
    public static byte[] Ack(string messageId) =>
        FrameWriter.Build("ack", messageId, static (w, id) => w.WriteString("messageId", id));

    /// <summary>
    /// Reads a line of a direct link as its sender does, for the acks: the checks of
    /// <see cref="JsonFrame.TryParse(ReadOnlySpan{byte}, out JsonElement)"/>, in its order, with the
    /// reader alone, so that an ack builds no document. For an ack, <paramref name="length"/> chars of
    /// its messageId are decoded into <paramref name="messageId"/>; -1 for any other frame, or a
    /// messageId that is not a string or does not fit <paramref name="messageId"/> (no id a sender makes).
    /// </summary>
    public static FrameFault ReadAck(ReadOnlySpan<byte> line, Span<char> messageId, out int length)
    {
        length = -1;
        if (!Utf8.IsValid(line))
        {
            return FrameFault.NotUtf8;
        }

        // Looked for first, and reported in TryParse's order below: the reader throws where it
        // decodes a lone surrogate, even to compare a name, so such a line is only checked.
        var loneSurrogate = JsonStrings.HasLoneSurrogate(line);
        var reader = new Utf8JsonReader(line);
        var isObject = false;
        var rootValueDone = false;
        var type = default(JsonTokenType);
        var isAck = false;
        try
        {
            // Every token is read: the reader checks the whole line is one JSON value, as parsing it would.
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0)
                {
                    isObject |= reader.TokenType == JsonTokenType.StartObject;
                    rootValueDone = reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray);
                }
                else if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && !loneSurrogate)
                {
                    // A name given twice counts as its last, as in a parsed frame.
                    if (reader.ValueTextEquals("type"u8))
                    {
                        reader.Read();
                        type = reader.TokenType;
                        isAck = type == JsonTokenType.String && reader.ValueTextEquals("ack"u8);
                    }
                    else if (reader.ValueTextEquals("messageId"u8))
                    {
                        reader.Read();
                        length = reader.TokenType != JsonTokenType.String ? -1
                            : reader.ValueSpan.Length <= messageId.Length ? reader.CopyString(messageId)

                            // Escapes make an id longer on the wire than as text: seldom, so a string then.
                            : reader.ValueIsEscaped && reader.GetString() is { } id && id.AsSpan().TryCopyTo(messageId) ? id.Length
                            : -1;
                    }
                }
            }
        }
        catch (JsonException)
        {
            length = -1;
            return rootValueDone ? FrameFault.MoreThanOneValue : FrameFault.NotJson;
        }

        var fault = loneSurrogate ? FrameFault.LoneSurrogate
            : !isObject ? FrameFault.NotObject
            : type != JsonTokenType.String ? FrameFault.NoType
            : FrameFault.None;
        if (fault != FrameFault.None || !isAck)
        {
            length = -1;
        }

        return fault;
    }
}
