using System.Buffers;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;

namespace PeerChat.Core.Irc;

/// <summary>
/// Lines in: cut at LF, bounded by <see cref="IrcLine.MaxLineBytes"/>, paced by the main port's
/// flood control, parsed by <see cref="IrcLine.Parse"/> and dispatched. A bad line is answered and
/// the connection goes on; only a client that stops reading, floods past its queue, or breaks the
/// idle rule is closed, as on the main port.
/// </summary>
internal sealed partial class IrcConnection
{
    // A line of the longest legal size and one more read fit; rented while bytes are in hand only,
    // so an idle client holds no receive buffer.
    private const int ReceiveBufferBytes = IrcLine.MaxLineBytes + 4096;

    private byte[]? _receiveBuffer;
    // A struct, in place (see FloodControl); set when the receive loop starts.
    private FloodControl _flood;
    private bool _floodNoticeSent;

    // Set when a line passed the longest legal size without its LF: what follows, up to the next
    // LF, belongs to that line and is dropped.
    private bool _discardingLongLine;

    private async Task ReceiveLoopAsync()
    {
        _flood = new FloodControl(_options);
        var held = 0;
        try
        {
            while (true)
            {
                if (_receiveBuffer is null)
                {
                    await ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                    _receiveBuffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferBytes);
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
                    held = await ProcessLinesAsync(held).ConfigureAwait(false);
                }

                if (IsClosing || held == 0)
                {
                    held = 0;
                    ReleaseReceiveBuffer();
                }
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            Abort(_abort.IsCancellationRequested ? CloseReasons.ClientClosed : CloseReasons.ConnectionReset);
        }
        catch (Exception ex)
        {
            _server.ReportError("irc receive " + ClientId, ex);
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

    /// <summary>
    /// Handles every complete line of the first <paramref name="held"/> bytes; returns how many are
    /// left (moved to the front). The readers its lines' messages wake are woken once, when the
    /// lines in hand are handled or before anything here has to wait, as on the main port
    /// (<see cref="OutboundQueue.StartDeferringWakes"/>).
    /// </summary>
    private async ValueTask<int> ProcessLinesAsync(int held)
    {
        var wakes = OutboundQueue.RentWakeList();
        try
        {
            return await ProcessLinesAsync(held, wakes).ConfigureAwait(false);
        }
        finally
        {
            OutboundQueue.WakeAll(wakes);
            OutboundQueue.ReturnWakeList(wakes);
        }
    }

    private async ValueTask<int> ProcessLinesAsync(int held, List<OutboundQueue> wakes)
    {
        var start = 0;
        while (!IsClosing && _receiveBuffer is not null)
        {
            var newline = _receiveBuffer.AsSpan(start, held - start).IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            var length = newline + 1;
            if (_discardingLongLine)
            {
                _discardingLongLine = false;
            }
            else
            {
                await OutboundQueue.WakeAllBefore(WaitForFloodTokensAsync(length), wakes).ConfigureAwait(false);
                _server.Counters.FrameIn(length);
                var handling = OutboundQueue.StartDeferringWakes(wakes, this, _receiveBuffer.AsMemory(start, length), static (connection, line) => connection.HandleLineAsync(line));
                if (!handling.IsCompleted)
                {
                    OutboundQueue.WakeAll(wakes);
                    await handling.ConfigureAwait(false);

                    // Perhaps finished inline by a store group's completion (see the main port's
                    // receive loop): the rest of this read goes on from a work item of its own.
                    await Task.Yield();
                }
            }

            start += length;
        }

        if (_receiveBuffer is null)
        {
            return 0;
        }

        var left = held - start;
        if (left >= IrcLine.MaxLineBytes && !IsClosing)
        {
            // No LF within the longest legal line: answered once, the rest of it dropped as it comes.
            // What is dropped costs flood tokens like any line, or an endless line would be read
            // (and cost the server CPU) as fast as the client can send it.
            await OutboundQueue.WakeAllBefore(WaitForFloodTokensAsync(left), wakes).ConfigureAwait(false);
            if (!_discardingLongLine)
            {
                Reply(IrcNumerics.ErrInputTooLong, "Input line was too long");
            }

            _discardingLongLine = true;
            return 0;
        }

        _server.Counters.ObserveUnparsed(left);
        _receiveBuffer.AsSpan(start, left).CopyTo(_receiveBuffer);
        return left;
    }

    private ValueTask HandleLineAsync(ReadOnlyMemory<byte> line)
    {
        var parsed = IrcLine.Parse(line.Span);
        if (parsed.Success)
        {
            return DispatchAsync(parsed.Message!);
        }

        switch (parsed.Error)
        {
            case IrcLineError.Empty:
                break;
            case IrcLineError.InputTooLong or IrcLineError.TagsTooLong:
                Reply(IrcNumerics.ErrInputTooLong, parsed.Error == IrcLineError.TagsTooLong ? "Input line was too long (its tags pass 8191 bytes)" : "Input line was too long (512 bytes with CRLF, tags apart)");
                break;
            case IrcLineError.InvalidUtf8:
                Send(new IrcMessage([], ServerName, "FAIL", [parsed.Command ?? "*", "INVALID_UTF8", "Your line was not UTF-8; it was not sent. Set your client's encoding to UTF-8."]));
                break;
            default:
                Send(new IrcMessage([], ServerName, "FAIL", [parsed.Command ?? "*", "INVALID_LINE", $"Your line could not be read: {Describe(parsed.Error)}."]));
                break;
        }

        return ValueTask.CompletedTask;
    }

    private static string Describe(IrcLineError error) => error switch
    {
        IrcLineError.ForbiddenCharacter => "it holds a NUL or a lone CR",
        IrcLineError.BadTags => "a tag key is malformed",
        IrcLineError.BadSource => "its source prefix is empty",
        IrcLineError.BadCommand => "no command, or one that is neither letters nor three digits",
        IrcLineError.TooManyParameters => "more than 15 parameters",
        _ => error.ToString(),
    };

    /// <summary>
    /// The main port's flood control: a line costs a token of requests and its length in bytes;
    /// when short, reading stops until the buckets refill, so TCP pushes back on the sender.
    /// </summary>
    private async ValueTask WaitForFloodTokensAsync(int lineBytes)
    {
        if (_flood.TryTake(_options, lineBytes, out var wait))
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
            Send(ServerNotice($"Too many lines; reading paused for {Math.Ceiling(wait.TotalMilliseconds):0} ms, until the rate drops."));
        }

        do
        {
            await Task.Delay(wait, _clock, _abort.Token).ConfigureAwait(false);
        }
        while (!_flood.TryTake(_options, lineBytes, out wait));
    }
}
