using System.Buffers;
using System.IO.Pipelines;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    private TokenBucket? _flood;
    private bool _floodNoticeSent;
    private int _protocolErrors;

    private int FrameLimit => UserName is null ? _options.MaxPreAuthFrameBytes : _options.MaxFrameBytes;

    /// <summary>
    /// Reads frames until the client closes, the connection is cut, or a close is requested; after
    /// that it only discards what arrives, so the client reads our last frame rather than a reset.
    /// </summary>
    private async Task ReceiveLoopAsync()
    {
        _flood = new TokenBucket(_options.FloodBurst, _options.FloodRate, _clock);
        // Zero-byte reads: an idle connection waits for data without holding a buffer, and rents
        // one only when bytes arrive, which keeps thousands of idle clients cheap.
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_abort.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!IsClosing)
                {
                    buffer = await ProcessFramesAsync(buffer).ConfigureAwait(false);
                }

                reader.AdvanceTo(IsClosing ? result.Buffer.End : buffer.Start, result.Buffer.End);
                if (result.IsCompleted)
                {
                    RequestClose("client_closed", null);
                    return;
                }
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            Abort(_abort.IsCancellationRequested ? "client_closed" : "connection_reset");
        }
        catch (Exception ex)
        {
            _server.ReportError("receive " + ClientId, ex);
            Abort("server_error");
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Handles every complete line in <paramref name="buffer"/> and returns what is left of it.</summary>
    private async ValueTask<ReadOnlySequence<byte>> ProcessFramesAsync(ReadOnlySequence<byte> buffer)
    {
        while (!IsClosing && LineFramer.TryReadLine(ref buffer, out var line))
        {
            if (line.Length > FrameLimit)
            {
                FrameTooLarge();
                return buffer;
            }

            await WaitForFloodTokenAsync().ConfigureAwait(false);
            _server.Counters.FrameIn(line.Length + 1);
            if (RequestFrame.TryParse(line, out var frame, out var error))
            {
                await HandleRequestAsync(frame!).ConfigureAwait(false);
            }
            else
            {
                ProtocolError(null, ErrorCodes.BadFrame, error);
            }
        }

        // What is left has no newline yet: refuse it as soon as it cannot fit the limit, so the
        // buffer never holds much more than the limit plus one read.
        _server.Counters.ObserveUnparsed(buffer.Length);
        if (!IsClosing && buffer.Length > FrameLimit)
        {
            FrameTooLarge();
        }

        return buffer;
    }

    private void FrameTooLarge() =>
        RequestClose(ErrorCodes.FrameTooLarge, FrameWriter.Error(null, ErrorCodes.FrameTooLarge, $"A frame may be at most {FrameLimit} bytes here."));

    /// <summary>
    /// Flood control: when the bucket is empty the loop stops reading until a token returns, so TCP
    /// pushes back on the sender. A flood is announced once, at its first pause, with
    /// <c>rate_limited</c>; it is over when the bucket has refilled completely.
    /// </summary>
    private async ValueTask WaitForFloodTokenAsync()
    {
        if (_flood!.TryTake(out var wait))
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
            await Task.Delay(wait, _clock, _abort.Token).ConfigureAwait(false);
        }
        while (!_flood.TryTake(out wait));
    }

    /// <summary><c>bad_frame</c> and <c>unknown_type</c> count; at MaxProtocolErrors the connection is closed.</summary>
    private void ProtocolError(System.Text.Json.JsonElement? re, string code, string message)
    {
        Send(FrameWriter.Error(re, code, message));
        if (++_protocolErrors >= _options.MaxProtocolErrors)
        {
            RequestClose(ErrorCodes.TooManyErrors, FrameWriter.Error(null, ErrorCodes.TooManyErrors, $"{_protocolErrors} protocol errors; closing."));
        }
    }
}
