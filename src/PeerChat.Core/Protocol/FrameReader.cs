using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace PeerChat.Core.Protocol;

/// <summary>
/// Reads whole frames, one JSON object per line, from a stream, refusing a line longer than the
/// limit before it is buffered whole. Used where frames are read one at a time (peer connections).
/// </summary>
public sealed class FrameReader : IAsyncDisposable
{
    private readonly PipeReader _reader;
    private readonly int _maxFrameBytes;

    public FrameReader(Stream stream, int maxFrameBytes)
    {
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, leaveOpen: true));
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>The next frame, or null when the other side closed. A bad or oversized line throws <see cref="BadFrameException"/>.</summary>
    public ValueTask<JsonElement?> ReadAsync(CancellationToken cancellationToken) => ReadLineAsync(ParseFrame, closed: null, cancellationToken);

    /// <summary>
    /// Hands the next line (without its LF) to <paramref name="parse"/> while it lies in the buffer,
    /// for a reader that takes a field or two without building a document (a direct link's acks);
    /// <paramref name="closed"/> when the other side closed. An oversized line throws
    /// <see cref="BadFrameException"/>; checking the line is <paramref name="parse"/>'s.
    /// </summary>
    /// <remarks>
    /// Awaited once, as every caller does: the state of a read that had to wait is then reused by
    /// the next, where a direct link's reads (two frames a message) would each allocate it.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<T> ReadLineAsync<T>(Func<ReadOnlySequence<byte>, T> parse, T closed, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (LineFramer.TryReadLine(ref buffer, out var line))
            {
                try
                {
                    return line.Length > _maxFrameBytes ? throw TooLarge() : parse(line);
                }
                finally
                {
                    _reader.AdvanceTo(buffer.Start);
                }
            }

            if (buffer.Length > _maxFrameBytes)
            {
                throw TooLarge();
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return closed;
            }
        }
    }

    public ValueTask DisposeAsync() => _reader.CompleteAsync();

    private BadFrameException TooLarge() => new(ErrorCodes.FrameTooLarge, $"A frame longer than {_maxFrameBytes} bytes.");

    private static JsonElement? ParseFrame(ReadOnlySequence<byte> line) => JsonFrame.TryParse(line, out var frame) is var fault && fault == FrameFault.None ? frame : throw BadFrame(fault);

    /// <summary>The exception for a line that is not a frame, <paramref name="fault"/> being why.</summary>
    public static BadFrameException BadFrame(FrameFault fault) => fault switch
    {
        FrameFault.NotUtf8 => new BadFrameException(ErrorCodes.BadFrame, "A frame that is not valid UTF-8."),

        // Valid JSON, but a string no reader can turn into text: refused here, where it enters,
        // rather than failing whoever reads the message later.
        FrameFault.LoneSurrogate => new BadFrameException(ErrorCodes.BadFrame, "A frame with a string that escapes a lone surrogate (such as \\ud800)."),
        _ => new BadFrameException(ErrorCodes.BadFrame, "A frame that is not a JSON object with a string 'type'."),
    };
}
