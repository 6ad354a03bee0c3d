using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    // The first byte of every TLS connection: a handshake record.
    private const byte TlsHandshakeRecord = 0x16;

    /// <summary>
    /// TLS from the first byte, the handshake inside AuthTimeout. A client that starts in plain text
    /// gets a plain <c>tls_required</c> error it can read, instead of a silent hang. False when the
    /// connection is already over.
    /// </summary>
    private async Task<bool> StartTlsAsync(X509Certificate2 certificate)
    {
        var first = new byte[1];
        if (await _socket.ReceiveAsync(first, SocketFlags.Peek, _abort.Token).ConfigureAwait(false) == 0)
        {
            SetReason(CloseReasons.ClientClosed);
            return false;
        }

        if (first[0] != TlsHandshakeRecord)
        {
            RequestClose(ErrorCodes.TlsRequired, FrameWriter.Error(null, ErrorCodes.TlsRequired, "This server speaks TLS: connect with TLS (Connect-PeerChat -UseTls)."));
            return true;
        }

        var tls = new SslStream(new NetworkStream(_socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions { ServerCertificate = certificate, ClientCertificateRequired = false },
                _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            SetReason(ex is OperationCanceledException ? ErrorCodes.AuthTimeout : "tls_handshake_failed");
            return false;
        }

        _tls = tls;
        return true;
    }
}
