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
        switch (await _transport.StartAsync(_abort.Token).ConfigureAwait(false))
        {
            case TransportStart.Ready:
                return true;
            case TransportStart.PlainTextOnTlsPort:
                RequestClose(ErrorCodes.TlsRequired, FrameWriter.Error(null, ErrorCodes.TlsRequired, "This server speaks TLS: connect with TLS (Connect-PeerChat -UseTls)."));
                return true;
            case TransportStart.TimedOut:
                SetReason(ErrorCodes.AuthTimeout);
                return false;
            case TransportStart.HandshakeFailed:
                SetReason("tls_handshake_failed");
                return false;
            default:
                SetReason(CloseReasons.ClientClosed);
                return false;
        }
    }

    /// <summary>Reads into <paramref name="memory"/>; an empty one waits until bytes are there without taking any.</summary>
    private ValueTask<int> ReadAsync(Memory<byte> memory) => _transport.ReadAsync(memory, _abort.Token);

    /// <summary>Writes all of <paramref name="bytes"/>, or throws.</summary>
    private ValueTask WriteAsync(ReadOnlyMemory<byte> bytes) => _transport.WriteAsync(bytes, _abort.Token);
}
