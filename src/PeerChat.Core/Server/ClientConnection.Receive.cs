using System.Buffers;
using System.Text.Json;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    // A struct, in place (see FloodControl); set when the receive loop starts.
    private FloodControl _flood;
    private bool _floodNoticeSent;

    private int FrameLimit => UserName is null ? Options.MaxPreAuthFrameBytes : Options.MaxFrameBytes;

    // A receive buffer is rented when bytes arrive and given back as soon as no unfinished line is
    // held in it, so an idle connection holds none. It grows (doubling) only for a line longer than
    // it, and never far past the frame limit, at which the line is refused.
    private const int ReceiveBufferBytes = 4096;
    private const int MinimumReadBytes = 1024;

    // Only the receive loop touches it; null while no bytes are in hand.
    private byte[]? _receiveBuffer;

    /// <summary>
    /// Reads frames until the client closes, the connection is cut, or a close is requested; after
    /// that it only discards what arrives, so the client reads our last frame rather than a reset.
    /// </summary>
    private async Task ReceiveLoopAsync()
    {
        _flood = new FloodControl(Options);
        var held = 0;
        try
        {
            while (true)
            {
                if (_receiveBuffer is null)
                {
                    // A zero-byte read waits for data without holding a buffer: thousands of idle
                    // clients then cost no receive memory.
                    await ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                    _receiveBuffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
                }
                else if (_receiveBuffer.Length - held < MinimumReadBytes)
                {
                    _receiveBuffer = Grow(_receiveBuffer, held);
                }

                var read = await ReadAsync(_receiveBuffer.AsMemory(held)).ConfigureAwait(false);
                if (read == 0)
                {
                    RequestClose(CloseReasons.ClientClosed, null);
                    return;
                }

                held += read;
                if (!IsClosing)
                {
                    held = await ProcessFramesAsync(held).ConfigureAwait(false);
                }

                if (IsClosing || held == 0)
                {
                    // Nothing unfinished (or closing, when what arrives is discarded): back to waiting without a buffer.
                    held = 0;
                    ReleaseReceiveBuffer();
                }
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            Abort(IsCut ? CloseReasons.ClientClosed : CloseReasons.ConnectionReset);
        }
        catch (Exception ex)
        {
            _server.ReportError("receive " + ClientId, ex);
            Abort(CloseReasons.ServerError);
        }
        finally
        {
            ReleaseReceiveBuffer();
        }
    }

    private void ReleaseReceiveBuffer()
    {
        if (_receiveBuffer is { } buffer)
        {
            _receiveBuffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static byte[] Grow(byte[] buffer, int held)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
        buffer.AsSpan(0, held).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }

    /// <summary>
    /// Handles every complete line in the first <paramref name="held"/> bytes of the receive buffer
    /// and moves what is left of them to its start; returns how many bytes that is. (A count rather
    /// than the rest as a sequence: the receive loop, parked at every idle connection's read, then
    /// keeps one awaiter of ValueTask&lt;int&gt; for both its awaits instead of a second, larger one.)
    /// The readers its frames wake are woken once, when the lines in hand are handled or before
    /// anything here has to wait (<see cref="OutboundQueue.StartDeferringWakes"/>), never later.
    /// </summary>
    private async ValueTask<int> ProcessFramesAsync(int held)
    {
        var buffer = new ReadOnlySequence<byte>(_receiveBuffer!, 0, held);
        var wakes = OutboundQueue.RentWakeList();
        try
        {
            while (!IsClosing && LineFramer.TryReadLine(ref buffer, out var line))
            {
                if (line.Length > FrameLimit)
                {
                    FrameTooLarge();
                    return KeepUnparsed(buffer);
                }

                await OutboundQueue.WakeAllBefore(WaitForFloodTokensAsync((int)line.Length), wakes).ConfigureAwait(false);
                _server.Counters.FrameIn(line.Length + 1);
                if (RequestFrame.TryParse(line, out var frame, out var error))
                {
                    var handling = OutboundQueue.StartDeferringWakes(wakes, this, frame!, static (connection, request) => connection.HandleRequestAsync(request));
                    var waited = !handling.IsCompleted;
                    if (waited)
                    {
                        OutboundQueue.WakeAll(wakes);
                        if (buffer.IsEmpty)
                        {
                            // A slow request (a login waiting for its password hash) with nothing more
                            // unread: the buffer goes back to the pool meanwhile. Held across the wait by
                            // thousands of logins at once, buffers outgrow the pool and end up as garbage
                            // that stays in the process's memory.
                            ReleaseReceiveBuffer();
                        }
                    }

                    await handling.ConfigureAwait(false);
                    if (waited)
                    {
                        // The request may have been finished inline by a store group's completion,
                        // which tells each caller of the group in turn: the rest of this read goes
                        // on from a work item of its own, so this client's next lines never hold
                        // up the receipts of the others in that group.
                        await Task.Yield();
                    }
                }
                else
                {
                    ProtocolError(null, ErrorCodes.BadFrame, error);
                }
            }
        }
        finally
        {
            // The lines in hand are handled and the loop goes back to reading: a lone reader to
            // wake (a direct message's recipient) is written from here, not from a work item.
            OutboundQueue.WakeAllRunningLoneReader(wakes);
            OutboundQueue.ReturnWakeList(wakes);
        }

        // What is left has no newline yet: refuse it as soon as it cannot fit the limit, so the
        // buffer never holds much more than the limit plus one read.
        _server.Counters.ObserveUnparsed(buffer.Length);
        if (!IsClosing && buffer.Length > FrameLimit)
        {
            FrameTooLarge();
        }

        return KeepUnparsed(buffer);
    }

    /// <summary>Moves <paramref name="unparsed"/> (the end of the receive buffer) to the buffer's start, if it is still held; returns its length.</summary>
    private int KeepUnparsed(ReadOnlySequence<byte> unparsed)
    {
        if (_receiveBuffer is not null)
        {
            unparsed.CopyTo(_receiveBuffer);
        }

        return (int)unparsed.Length;
    }

    private void FrameTooLarge() =>
        RequestClose(ErrorCodes.FrameTooLarge, FrameWriter.Error(null, ErrorCodes.FrameTooLarge, $"A frame may be at most {FrameLimit} bytes here."));

    /// <summary>
    /// Flood control: a frame costs a token of requests and its length in tokens of bytes; when
    /// either bucket is short the loop stops reading until both have enough, so TCP pushes back on
    /// the sender. Counting bytes too keeps a client from sending twenty frames of the largest size
    /// at once, each copied to every recipient. A flood is announced once, at its first pause, with
    /// <c>rate_limited</c>; it is over when both buckets have refilled completely.
    /// </summary>
    private async ValueTask WaitForFloodTokensAsync(int frameBytes)
    {
        if (_flood.TryTake(Options, frameBytes, out var wait))
        {
            if (_flood.WasFull)
            {
                _floodNoticeSent = false;
            }

            return;
        }

        if (!_floodNoticeSent)
        {
            _floodNoticeSent = true;
            Send(FrameWriter.Error(null, ErrorCodes.RateLimited, "Too many requests; reading paused until the rate drops.", (long)Math.Ceiling(wait.TotalMilliseconds)));
        }

        do
        {
            await Task.Delay(wait, Clock, AbortToken).ConfigureAwait(false);
        }
        while (!_flood.TryTake(Options, frameBytes, out wait));
    }

    /// <summary><c>bad_frame</c> and <c>unknown_type</c> count; at MaxProtocolErrors the connection is closed.</summary>
    private void ProtocolError(JsonElement? re, string code, string message)
    {
        Send(FrameWriter.Error(re, code, message));
        var errors = ++Seldom.ProtocolErrors;
        if (errors >= Options.MaxProtocolErrors)
        {
            RequestClose(ErrorCodes.TooManyErrors, FrameWriter.Error(null, ErrorCodes.TooManyErrors, $"{errors} protocol errors; closing."));
        }
    }
}
