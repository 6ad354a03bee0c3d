using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// A raw TCP connection (or a stream that reads and writes like one, see <see cref="WebSocketLineStream"/>)
/// that reads lines (\n-terminated, \r stripped), or the frames of a binary protocol (MQTT), and writes bytes.
/// </summary>
internal sealed class LineConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    private LineConnection(Stream stream)
    {
        _stream = stream;
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024));
    }

    /// <summary>Lines over <paramref name="stream"/>, which the connection owns from now on.</summary>
    public static LineConnection Over(Stream stream) => new(stream);

    public static async Task<LineConnection> ConnectAsync(IPEndPoint server, IPAddress? localAddress = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (localAddress is not null)
        {
            socket.Bind(new IPEndPoint(localAddress, 0));
        }

        await socket.ConnectAsync(server);
        return new LineConnection(new NetworkStream(socket, ownsSocket: true));
    }

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
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

    public Task WriteAsync(string text) => WriteAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>The next line as a string, or null at the end of the stream.</summary>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is { } end)
            {
                var line = buffer.Slice(0, end);
                var text = Encoding.UTF8.GetString(line.IsSingleSegment ? line.FirstSpan : line.ToArray()).TrimEnd('\r');
                _reader.AdvanceTo(buffer.GetPosition(1, end));
                return text;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// The next frame of a binary protocol, or null at the end of the stream. <paramref name="frameLength"/>
    /// reads the whole frame's length from its first bytes, or gives -1 while too few of them are here.
    /// </summary>
    public async Task<byte[]?> ReadFrameAsync(Func<ReadOnlySequence<byte>, long> frameLength, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var length = frameLength(buffer);
            if (length >= 0 && buffer.Length >= length)
            {
                var frame = buffer.Slice(0, length).ToArray();
                _reader.AdvanceTo(buffer.GetPosition(length));
                return frame;
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads lines until one contains <paramref name="marker"/>; fails at the end of the stream.</summary>
    public async Task<string> ReadUntilAsync(string marker, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken) ?? throw new IOException($"Closed while waiting for {marker}.");
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _stream.DisposeAsync();
    }
}
