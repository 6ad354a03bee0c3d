using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PeerChat.Core.Protocol;

/// <summary>
/// Serialises one outbound frame to UTF-8 JSON followed by <c>\n</c>. The bytes are built once and
/// may be queued for any number of recipients, which is how a broadcast avoids re-serialising.
/// </summary>
public static class FrameWriter
{
    // Non-ASCII text goes out as UTF-8 rather than \u escapes; quotes and control characters are
    // still escaped, which is all a line-delimited JSON reader needs.
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Writes one frame: <paramref name="write"/> fills in the properties of the object.</summary>
    public static byte[] Build<TState>(string type, TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);

        writer.WriteStartObject();
        writer.WriteString("type", type);
        write(writer, state);
        writer.WriteEndObject();
        writer.Flush();

        var frame = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(frame);
        frame[^1] = (byte)'\n';
        return frame;
    }

    /// <summary>Writes a frame with no properties but <c>type</c>.</summary>
    public static byte[] Build(string type) => Build(type, 0, static (_, _) => { });

    /// <summary>Writes <c>"re": id</c> when the request carried an id.</summary>
    public static void WriteRe(Utf8JsonWriter writer, JsonElement? id)
    {
        if (id is { } value)
        {
            writer.WritePropertyName("re");
            value.WriteTo(writer);
        }
    }

    /// <summary>An <c>error</c> frame, with <c>re</c> when it answers a request that had an id.</summary>
    public static byte[] Error(JsonElement? re, string code, string message, long? retryAfterMs = null) =>
        Build("error", (re, code, message, retryAfterMs), static (w, s) =>
        {
            WriteRe(w, s.re);
            w.WriteString("code", s.code);
            w.WriteString("message", s.message);
            if (s.retryAfterMs is { } retry)
            {
                w.WriteNumber("retryAfterMs", retry);
            }
        });

    /// <summary>A <c>notice</c> frame.</summary>
    public static byte[] Notice(string code, string message) =>
        Build("notice", (code, message), static (w, s) =>
        {
            w.WriteString("code", s.code);
            w.WriteString("message", s.message);
        });

    /// <summary>
    /// The <c>broadcasts_dropped</c> notice, which does not close the connection: <paramref name="dropped"/>
    /// broadcasts to this client were dropped, oldest first, because it fell behind reading them.
    /// </summary>
    public static byte[] BroadcastsDropped(int dropped) =>
        Build("notice", dropped, static (w, count) =>
        {
            w.WriteString("code", NoticeCodes.BroadcastsDropped);
            w.WriteNumber("dropped", count);
            w.WriteString("message", $"{count} broadcast{(count == 1 ? " was" : "s were")} dropped because your connection fell behind reading; the oldest go first.");
        });
}
