using System.Buffers;

namespace PeerChat.Core.Server;

/// <summary>
/// The stream a WebSocket writes its frames to, which can hold a batch of frames and send them in
/// one write: without it, every line of a batch (a fan-out receiver that fell behind holds many)
/// is its own system call. The WebSocket sends one frame at a time, each whole and under its own
/// lock; the last frame of a batch is written inside that lock together with those held, so a
/// ping or pong it sends meanwhile can never land inside another frame.
/// </summary>
internal sealed class FrameBatchingStream(Stream inner) : Stream
{
    private enum Mode
    {
        WriteThrough,
        Hold,
        FlushWithNext,
    }

    private readonly Lock _gate = new();
    private Mode _mode;
    private byte[]? _held;
    private int _heldBytes;

    /// <summary>Frames written from now on are held, until the one after <see cref="FlushWithNextWrite"/>.</summary>
    public void Hold()
    {
        lock (_gate)
        {
            _mode = Mode.Hold;
        }
    }

    /// <summary>The next frame written goes out with every frame held before it, in one write.</summary>
    public void FlushWithNextWrite()
    {
        lock (_gate)
        {
            _mode = _heldBytes == 0 ? Mode.WriteThrough : Mode.FlushWithNext;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        byte[]? batch;
        int batchBytes;
        lock (_gate)
        {
            if (_mode == Mode.WriteThrough)
            {
                batch = null;
                batchBytes = 0;
            }
            else
            {
                Append(buffer.Span);
                if (_mode == Mode.Hold)
                {
                    return;
                }

                (batch, batchBytes) = (_held, _heldBytes);
                (_held, _heldBytes, _mode) = (null, 0, Mode.WriteThrough);
            }
        }

        if (batch is null)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            await inner.WriteAsync(batch.AsMemory(0, batchBytes), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
        }
    }

    private void Append(ReadOnlySpan<byte> frame)
    {
        if (_held is null || _held.Length - _heldBytes < frame.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_heldBytes + frame.Length, (_held?.Length ?? 2048) * 2));
            if (_held is not null)
            {
                _held.AsSpan(0, _heldBytes).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_held);
            }

            _held = grown;
        }

        frame.CopyTo(_held.AsSpan(_heldBytes));
        _heldBytes += frame.Length;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            lock (_gate)
            {
                if (_held is not null)
                {
                    ArrayPool<byte>.Shared.Return(_held);
                    _held = null;
                }
            }
        }

        base.Dispose(disposing);
    }
}
