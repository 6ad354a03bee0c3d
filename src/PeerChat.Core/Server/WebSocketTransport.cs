using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// Lines carried as WebSocket text messages (docs/WEB.md): each message the client sends is read
/// as one line (its bytes and a line end), and each line written goes out as one message, without
/// its line end. What the connection behind it reads and writes is the same as over TCP.
/// </summary>
internal sealed class WebSocketTransport : ConnectionTransport
{
    private static readonly byte[] Lf = "\n"u8.ToArray();
    private static readonly byte[] CrLf = "\r\n"u8.ToArray();

    private readonly WebSocket _webSocket;
    private readonly Socket _socket;
    private readonly FrameBatchingStream _stream;
    private readonly byte[] _lineEnd;

    // The connection's limit on one message (a line without its end), which may change at login,
    // and what it does with a message refused (it closes, telling the client in its protocol).
    private Func<int> _messageLimit = static () => int.MaxValue;
    private Action<string, string> _refused = static (_, _) => { };

    // Bytes of the message being read so far; its line end still to hand over (from _lineEndOffset).
    private long _messageBytes;
    private int _lineEndOffset;
    private bool _lineEndDue;
    private bool _closeReceived;
    private WebSocketCloseStatus? _refusal;
    private string? _refusalText;

    // The writes' cancellation, registered once for the connection: ManagedWebSocket sends a message
    // given a token that can be cancelled on a slow path (a registration and an asynchronous lock
    // wait each), which cost a fan-out about a tenth of the server's CPU.
    private CancellationToken _writeToken;
    private CancellationTokenRegistration _abortOnCancel;

    /// <summary>Over <paramref name="socket"/> and <paramref name="stream"/> (TLS or not), which <paramref name="webSocket"/> speaks on; they close with it.</summary>
    /// <param name="webSocket">The server end, after the 101.</param>
    /// <param name="socket">The connection's socket.</param>
    /// <param name="stream">The stream over it.</param>
    /// <param name="ircLines">IRC (<c>text.ircv3.net</c>): a message is read as a line ending in CR LF, as IRC clients send on TCP.</param>
    public WebSocketTransport(WebSocket webSocket, Socket socket, FrameBatchingStream stream, bool ircLines)
    {
        _webSocket = webSocket;
        _socket = socket;
        _stream = stream;
        _lineEnd = ircLines ? CrLf : Lf;
    }

    public override bool IsWebSocket => true;

    public override IPEndPoint RemoteEndPoint => Unmapped((IPEndPoint)_socket.RemoteEndPoint!);

    /// <summary>
    /// A message longer than <paramref name="limit"/> (asked as it arrives; close status 1009) or a
    /// binary one (1003) is refused: <paramref name="refused"/> is told an error code and text, once.
    /// The reads go on, so that what the client still sends is read and dropped up to its close.
    /// </summary>
    public void Watch(Func<int> limit, Action<string, string> refused)
    {
        _messageLimit = limit;
        _refused = refused;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> memory, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_closeReceived)
            {
                return 0;
            }

            if (_lineEndDue)
            {
                return TakeLineEnd(memory.Span);
            }

            // An empty buffer waits for the next frame's header without taking a payload byte:
            // ManagedWebSocket passes the zero-byte read down to the socket.
            var result = await _webSocket.ReceiveAsync(memory, cancellationToken).ConfigureAwait(false);
            switch (result.MessageType)
            {
                case WebSocketMessageType.Close:
                    _closeReceived = true;
                    return 0;
                case WebSocketMessageType.Binary when _refusal is null:
                    Refuse(WebSocketCloseStatus.InvalidMessageType, ErrorCodes.BadFrame, "Binary WebSocket messages are not read here; send text.");
                    break;
            }

            _messageBytes += result.Count;
            if (_refusal is null && _messageBytes > _messageLimit())
            {
                Refuse(WebSocketCloseStatus.MessageTooBig, ErrorCodes.FrameTooLarge, $"A message may be at most {_messageLimit()} bytes here.");
            }

            if (result.EndOfMessage)
            {
                _messageBytes = 0;
                _lineEndDue = true;
                _lineEndOffset = 0;
            }

            if (result.Count > 0 || memory.IsEmpty)
            {
                return result.Count;
            }
        }
    }

    private int TakeLineEnd(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _lineEnd.Length - _lineEndOffset);
        _lineEnd.AsSpan(_lineEndOffset, count).CopyTo(destination);
        _lineEndOffset += count;
        _lineEndDue = _lineEndOffset < _lineEnd.Length;
        return count;
    }

    private void Refuse(WebSocketCloseStatus status, string code, string text)
    {
        _refusal = status;
        _refusalText = text;
        _refused(code, text);
    }

    /// <summary>
    /// Each line of <paramref name="bytes"/> (several may be queued together) as one text message,
    /// without its CR LF or LF; the frames of several lines go out in one write.
    /// </summary>
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (cancellationToken != _writeToken)
        {
            // Cancelled, it cuts the connection, as ManagedWebSocket does: a write under way fails at once.
            _abortOnCancel.Dispose();
            _writeToken = cancellationToken;
            _abortOnCancel = cancellationToken.Register(static transport => ((WebSocketTransport)transport!).Abort(), this);
        }

        cancellationToken.ThrowIfCancellationRequested();
        // Lines end in LF, so more than one is there when the first LF is not the last byte.
        var firstEnd = bytes.Span.IndexOf((byte)'\n');
        var several = firstEnd >= 0 && firstEnd < bytes.Length - 1;
        if (several)
        {
            _stream.Hold();
        }

        while (!bytes.IsEmpty)
        {
            var end = bytes.Span.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? ReadOnlyMemory<byte>.Empty : bytes[(end + 1)..];
            if (!line.IsEmpty && line.Span[^1] == '\r')
            {
                line = line[..^1];
            }

            if (several && bytes.IsEmpty)
            {
                _stream.FlushWithNextWrite();
            }

            await _webSocket.SendAsync(line, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The closing handshake, with a status that says why: 1009 or 1003 for a refused message, 1001 when the server stops, else 1000.</summary>
    public override async ValueTask CloseOutputAsync(string reason, CancellationToken cancellationToken)
    {
        if (_webSocket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        var status = _refusal ?? (reason == NoticeCodes.ServerShutdown ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure);
        await _webSocket.CloseOutputAsync(status, CloseText(_refusalText ?? reason), cancellationToken).ConfigureAwait(false);
    }

    // A close frame's reason holds at most 123 bytes of UTF-8; ours are ASCII.
    private static string CloseText(string text) => text.Length <= 123 ? text : text[..123];

    public override void Abort()
    {
        _webSocket.Abort();
        _socket.Dispose();
    }

    public override async ValueTask DisposeAsync()
    {
        _abortOnCancel.Dispose();
        _webSocket.Dispose();
        _socket.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
