using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    private readonly ConnectionTransport _transport;

    /// <summary>
    /// TLS from the first byte, the handshake inside AuthTimeout. A client that starts in plain text
    /// gets a plain <c>tls_required</c> error it can read, instead of a silent hang. False when the
    /// connection is already over.
    /// </summary>
    private async Task<bool> StartTransportAsync()
    {
        var start = await _transport.StartAsync(AbortToken).ConfigureAwait(false);
        if (start == TransportStart.PlainTextOnTlsPort)
        {
            RequestClose(ErrorCodes.TlsRequired, FrameWriter.Error(null, ErrorCodes.TlsRequired, "This server speaks TLS: connect with TLS (Connect-PeerChat -UseTls)."));
        }
        else if (start.FailureReason() is { } reason)
        {
            SetReason(reason);
            return false;
        }

        return true;
    }

    // Reads and writes take no token: a cut reaches them through the transport (Cut), and a token
    // would leave a registration behind on every idle connection's read.

    /// <summary>Reads into <paramref name="memory"/>; an empty one waits until bytes are there without taking any.</summary>
    private ValueTask<int> ReadAsync(Memory<byte> memory) => _transport.ReadAsync(memory, CancellationToken.None);

    /// <summary>Writes all of <paramref name="bytes"/>, or throws.</summary>
    private ValueTask WriteAsync(ReadOnlyMemory<byte> bytes) => _transport.WriteAsync(bytes, CancellationToken.None);
}
