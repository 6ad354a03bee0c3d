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

    // The server's own frames are bounded by what clients may send it, plus its envelope.
    private const int MaxServerFrameBytes = 1024 * 1024;

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
                    DispatchOrSkip(line);
                }

                // A server that never ends its line must not make the client buffer without bound.
                if (buffer.Length > MaxServerFrameBytes)
                {
                    throw new ChatClientException(ErrorCodes.ProtocolViolation, $"The server sent a line longer than {MaxServerFrameBytes} bytes.");
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

    /// <summary>
    /// One frame. After the hello, a frame this client cannot read is skipped and told as a notice
    /// (<c>protocol_violation</c>, the connection stays open): one bad frame must not cost the
    /// session, and with it every message behind it. Before the hello it ends the connection: the
    /// other side is then no PeerChat server.
    /// </summary>
    private void DispatchOrSkip(in ReadOnlySequence<byte> line)
    {
        try
        {
            Dispatch(ServerFrames.Parse(line));
        }
        catch (Exception ex) when (_hello.Task.IsCompleted && ex is ChatClientException or InvalidOperationException or FormatException)
        {
            var reason = ex is ChatClientException known ? known.Message : "a field of an unexpected kind.";
            _events.Writer.TryWrite(new ChatNotice(DateTimeOffset.UtcNow, ErrorCodes.ProtocolViolation, $"A frame from the server was skipped: {reason}", ClosesConnection: false));
        }
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
            // TryGetInt64 throws on a string or an object: the kind is checked first.
            if (re.ValueKind == JsonValueKind.Number && re.TryGetInt64(out var id) && _pending.TryGetValue(id, out var waiting))
            {
                waiting.TrySetResult(frame);
            }

            return;
        }

        var now = DateTimeOffset.UtcNow;
        switch (ServerFrames.Type(frame))
        {
            case "message":
                var message = ServerFrames.Message(frame, now);
                // A relayed copy of a direct message that may already have come over the link.
                if (ServerFrames.OptionalString(frame, "directId") is not { } directId || _recentDirect.TryRecord(message.From, directId))
                {
                    _events.Writer.TryWrite(message);
                }

                break;
            case "peer_expect":
                OnPeerExpect(frame);
                break;
            case "presence":
                _events.Writer.TryWrite(ServerFrames.Presence(frame, now));
                break;
            case "notice":
                var notice = ServerFrames.Notice(frame, now);
                if (notice.Code == NoticeCodes.OfflineMore)
                {
                    // Only says that the next batch of offline messages is coming: nothing for the reader.
                    break;
                }

                _events.Writer.TryWrite(notice);
                if (notice.ClosesConnection)
                {
                    CloseReason ??= new ChatClientException(notice.Code, notice.Message);
                }

                break;
            case "error":
                var error = ServerFrames.Error(frame);
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
        StopActivityReports();

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
