using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// A WebSocket client seen as the byte stream of a line protocol, so that <see cref="LineConnection"/> and every
/// workload run over it unchanged: each text message read comes out followed by '\n', and each line
/// written goes out as one text message without it (peerchat.v1 and text.ircv3.net frame that way).
/// </summary>
/// <remarks>
/// Written by hand over the socket rather than with .NET's ClientWebSocket, which costs a receive call
/// per message: this reads the socket in bulk (the same 4 KiB reads as the plain receivers' line reader)
/// and takes the server's frames out of the buffer, so that the generator's CPU per delivery is about
/// that of a plain receiver and the benchmark measures the server. It speaks just enough RFC 6455 for
/// that: unfragmented or fragmented text, ping (answered), pong, close; masked frames from the client.
/// </remarks>
internal sealed class WebSocketLineStream : Stream
{
    private const int ReceiveBytes = 4096;
    private const byte Fin = 0x80;
    private const byte TextOpcode = 0x1;
    private const byte CloseOpcode = 0x8;
    private const byte PingOpcode = 0x9;
    private const byte PongOpcode = 0xA;

    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    // Received bytes not yet taken: _raw[_start.._end).
    private readonly byte[] _raw = new byte[ReceiveBytes];
    private int _start;
    private int _end;

    // The data frame being read: payload bytes still to come, and whether it ends its message.
    private long _payloadLeft;
    private bool _endsMessage;
    private bool _lineEndOwed;
    private bool _closeReceived;
    private byte[]? _pongDue;

    private WebSocketLineStream(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Opens <c>ws://server/ws</c> (from <paramref name="localAddress"/> when given) with <paramref name="subProtocol"/>; fails unless the server answers 101 with the right accept key.</summary>
    public static async Task<WebSocketLineStream> ConnectAsync(IPEndPoint server, IPAddress? localAddress, string subProtocol, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (localAddress is not null)
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }

            await socket.ConnectAsync(server, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new WebSocketLineStream(socket);
        try
        {
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = $"GET /ws HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {subProtocol}\r\n\r\n";
            await stream._stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken);
            await stream.ReadUpgradeAsync(key, cancellationToken);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    // The 101 response's head; what follows it (the server may send its first frames at once) stays in _raw.
    private async Task ReadUpgradeAsync(string key, CancellationToken cancellationToken)
    {
        while (true)
        {
            var headEnd = _raw.AsSpan(0, _end).IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                var head = Encoding.ASCII.GetString(_raw, 0, headEnd);

                // RFC 6455 fixes SHA-1 here: a check that the server read this handshake, not a protection.
#pragma warning disable CA5350
                var expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
                if (!head.StartsWith("HTTP/1.1 101 ", StringComparison.Ordinal) || !head.Contains($"\r\nSec-WebSocket-Accept: {expected}", StringComparison.OrdinalIgnoreCase))
                {
                    throw new IOException($"The WebSocket upgrade was refused: {head}");
                }

                _start = headEnd + 4;
                return;
            }

            var read = _end < _raw.Length ? await _stream.ReadAsync(_raw.AsMemory(_end), cancellationToken) : throw new IOException("The 101 response's head is too long.");
            _end += read > 0 ? read : throw new IOException("Closed during the WebSocket upgrade.");
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var taken = TakeLines(buffer.Span);
            if (_pongDue is { } pong)
            {
                _pongDue = null;
                await SendAsync(pong, cancellationToken);
            }

            if (taken > 0 || _closeReceived)
            {
                return taken;
            }

            if (_start == _end)
            {
                (_start, _end) = (0, 0);
            }
            else if (_end == _raw.Length)
            {
                // A frame header or a control frame cut at the buffer's end: moved to its start.
                _raw.AsSpan(_start, _end - _start).CopyTo(_raw);
                (_start, _end) = (0, _end - _start);
            }

            var read = await _stream.ReadAsync(_raw.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                return 0;
            }

            _end += read;
        }
    }

    /// <summary>The text of the frames received so far into <paramref name="destination"/>, a '\n' after each message; stops at a ping (answered first) or a close.</summary>
    private int TakeLines(Span<byte> destination)
    {
        var written = 0;
        while (written < destination.Length && !_closeReceived && _pongDue is null)
        {
            if (_lineEndOwed)
            {
                destination[written++] = (byte)'\n';
                _lineEndOwed = false;
                continue;
            }

            if (_payloadLeft > 0)
            {
                var count = (int)Math.Min(_payloadLeft, Math.Min(_end - _start, destination.Length - written));
                if (count == 0)
                {
                    break;
                }

                _raw.AsSpan(_start, count).CopyTo(destination[written..]);
                (_start, written, _payloadLeft) = (_start + count, written + count, _payloadLeft - count);
                _lineEndOwed = _payloadLeft == 0 && _endsMessage;
                continue;
            }

            if (!TryTakeHeader())
            {
                break;
            }
        }

        return written;
    }

    // One frame header (2-10 bytes; a server's frames are not masked), or a whole control frame; false while too few bytes are here.
    private bool TryTakeHeader()
    {
        var available = _raw.AsSpan(_start, _end - _start);
        if (available.Length < 2)
        {
            return false;
        }

        if ((available[1] & 0x80) != 0)
        {
            throw new IOException("The server sent a masked frame.");
        }

        var (headerBytes, length) = (available[1] & 0x7F) switch
        {
            126 when available.Length >= 4 => (4, (long)BinaryPrimitives.ReadUInt16BigEndian(available[2..])),
            127 when available.Length >= 10 => (10, (long)BinaryPrimitives.ReadUInt64BigEndian(available[2..])),
            126 or 127 => (0, 0L),
            var small => (2, (long)small),
        };
        if (headerBytes == 0)
        {
            return false;
        }

        var opcode = available[0] & 0x0F;
        if (opcode >= CloseOpcode)
        {
            // Control frames are at most 125 bytes and never fragmented: taken whole.
            if (available.Length < headerBytes + length)
            {
                return false;
            }

            _closeReceived = opcode == CloseOpcode;
            _pongDue = opcode == PingOpcode ? Frame(PongOpcode, available.Slice(headerBytes, (int)length)) : null;
            _start += headerBytes + (int)length;
            return true;
        }

        _start += headerBytes;
        _payloadLeft = length;
        _endsMessage = (available[0] & Fin) != 0;
        _lineEndOwed = length == 0 && _endsMessage;
        return true;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A write may hold several lines (signup and login at once); each is a message of its own, all in one send.
        var frames = new List<byte>(buffer.Length + 64);
        while (!buffer.IsEmpty)
        {
            var end = buffer.Span.IndexOf((byte)'\n');
            var line = end < 0 ? buffer : buffer[..end];
            buffer = end < 0 ? ReadOnlyMemory<byte>.Empty : buffer[(end + 1)..];
            if (!line.IsEmpty && line.Span[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (!line.IsEmpty)
            {
                frames.AddRange(Frame(TextOpcode, line.Span));
            }
        }

        await SendAsync([.. frames], cancellationToken);
    }

    // A final frame from the client: masked, as RFC 6455 requires.
    private static byte[] Frame(byte opcode, ReadOnlySpan<byte> payload)
    {
        var lengthBytes = payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var frame = new byte[2 + lengthBytes + 4 + payload.Length];
        frame[0] = (byte)(Fin | opcode);
        switch (lengthBytes)
        {
            case 0:
                frame[1] = (byte)(0x80 | payload.Length);
                break;
            case 2:
                frame[1] = 0x80 | 126;
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
                break;
            default:
                frame[1] = 0x80 | 127;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
                break;
        }

        var mask = frame.AsSpan(2 + lengthBytes, 4);
        Random.Shared.NextBytes(mask);
        var body = frame.AsSpan(6 + lengthBytes);
        for (var i = 0; i < payload.Length; i++)
        {
            body[i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        return frame;
    }

    // Writes from the workload and pongs from the reader never interleave.
    private async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Asynchronous only.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Closed without a closing handshake: the run is over, and the server sees the drop at once,
            // as it sees a plain TCP client's.
            _stream.Dispose();
        }

        base.Dispose(disposing);
    }
}
