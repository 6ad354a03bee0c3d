using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client;

public sealed partial class ChatClient
{
    // Error codes after which the server closes the connection (docs/PROTOCOL.md, "Errors").
    private static readonly HashSet<string> ClosingErrors =
    [
        ErrorCodes.FrameTooLarge, ErrorCodes.AuthTimeout, ErrorCodes.TooManyErrors, ErrorCodes.ServerFull,
        ErrorCodes.InvalidToken, ErrorCodes.TooManyConnections,
    ];

    private async Task ReceiveLoopAsync()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        ChatClientException? failure = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (LineFramer.TryReadLine(ref buffer, out var line))
                {
                    Dispatch(Parse(line));
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closed locally.
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            failure = new ChatClientException(ErrorCodes.ConnectionClosed, "The connection to the server was lost.", innerException: ex);
        }
        catch (Exception ex)
        {
            failure = ex as ChatClientException ?? new ChatClientException(ErrorCodes.ProtocolViolation, "The server sent a frame this client cannot read.", innerException: ex);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            Close(failure ?? new ChatClientException(ErrorCodes.ConnectionClosed, "The server closed the connection."));
        }
    }

    private static JsonElement Parse(in ReadOnlySequence<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        var frame = JsonElement.ParseValue(ref reader);
        if (frame.ValueKind != JsonValueKind.Object || !frame.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new ChatClientException(ErrorCodes.ProtocolViolation, "The server sent a frame without a string 'type'.");
        }

        return frame;
    }

    private void Dispatch(JsonElement frame)
    {
        if (!_hello.Task.IsCompleted)
        {
            _hello.TrySetResult(frame);
            return;
        }

        if (frame.TryGetProperty("re", out var re))
        {
            if (re.TryGetInt64(out var id) && _pending.TryGetValue(id, out var waiting))
            {
                waiting.TrySetResult(frame);
            }

            return;
        }

        var now = DateTimeOffset.UtcNow;
        switch (frame.GetProperty("type").GetString())
        {
            case "message":
                _events.Writer.TryWrite(ReadMessage(frame, now));
                break;
            case "peer_expect":
                OnPeerExpect(frame);
                break;
            case "presence":
                _events.Writer.TryWrite(new ChatPresence(
                    now,
                    OptionalString(frame, "event") == "joined",
                    OptionalString(frame, "user") ?? string.Empty,
                    OptionalString(frame, "clientId") ?? string.Empty,
                    WireTime.TryParse(OptionalString(frame, "at"), out var at) ? at : now));
                break;
            case "notice":
                var code = frame.TryGetProperty("code", out var c) ? c.GetString() ?? "notice" : "notice";
                var text = frame.TryGetProperty("message", out var m) ? m.GetString() ?? code : code;
                _events.Writer.TryWrite(new ChatNotice(now, code, text, ClosesConnection: true));
                CloseReason ??= new ChatClientException(code, text);
                break;
            case "error":
                var error = ErrorFrom(frame);
                var closes = ClosingErrors.Contains(error.Code);
                _events.Writer.TryWrite(new ChatNotice(now, error.Code, error.Message, closes));
                if (closes)
                {
                    CloseReason ??= error;
                }

                break;
            default:
                // Unknown frame types are ignored, as the protocol asks, for forward compatibility.
                break;
        }
    }

    private static ChatMessage ReadMessage(JsonElement frame, DateTimeOffset receivedAt) => new(
        receivedAt,
        frame.TryGetProperty("kind", out var kind) && kind.GetString() == "direct" ? MessageKind.Direct : MessageKind.Broadcast,
        frame.TryGetProperty("route", out var route) && route.GetString() == "direct" ? MessageRoute.Direct : MessageRoute.Relay,
        OptionalString(frame, "messageId") ?? string.Empty,
        OptionalString(frame, "from") ?? string.Empty,
        OptionalString(frame, "fromClientId"),
        OptionalString(frame, "to"),
        OptionalString(frame, "text") ?? string.Empty,
        frame.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data : null,
        WireTime.TryParse(OptionalString(frame, "sentAt"), out var sentAt) ? sentAt : receivedAt);

    private static string? OptionalString(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Ends the connection once: fails every pending request and completes <see cref="Events"/>.</summary>
    private void Close(ChatClientException reason)
    {
        lock (_pending)
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }

            CloseReason ??= reason;
            _closed.Cancel();
        }

        _socket.Dispose();

        // Without its server session nobody can hand out tokens for this client: stop listening too.
        _ = CloseDirectAsync();
        _hello.TrySetException(CloseReason);
        foreach (var waiting in _pending.Values)
        {
            waiting.TrySetException(CloseReason);
        }

        _events.Writer.TryComplete();
    }
}
