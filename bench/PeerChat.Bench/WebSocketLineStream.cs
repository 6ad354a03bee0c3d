using System.Net.WebSockets;

namespace PeerChat.Bench;

/// <summary>
/// A WebSocket seen as the byte stream of a line protocol, so that <see cref="LineConnection"/> and every
/// workload run over it unchanged: each text message read comes out followed by '\n', and each line
/// written goes out as one text message without it (peerchat.v1 and text.ircv3.net frame that way).
/// </summary>
internal sealed class WebSocketLineStream(WebSocket socket) : Stream
{
    // The '\n' that ends a message whose bytes filled the caller's whole buffer, given on the next read.
    private bool _lineEndOwed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_lineEndOwed)
        {
            _lineEndOwed = false;
            buffer.Span[0] = (byte)'\n';
            return 1;
        }

        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return 0;
            }

            if (!result.EndOfMessage)
            {
                if (result.Count > 0)
                {
                    return result.Count;
                }

                continue;
            }

            if (result.Count < buffer.Length)
            {
                buffer.Span[result.Count] = (byte)'\n';
                return result.Count + 1;
            }

            _lineEndOwed = true;
            return result.Count;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A write may hold several lines (signup and login at once); each is a message of its own.
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
                await socket.SendAsync(line, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
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
            // Aborted, not closed with a handshake: the run is over, and the server sees the drop at once,
            // as it sees a plain TCP client's.
            socket.Abort();
            socket.Dispose();
        }

        base.Dispose(disposing);
    }
}
