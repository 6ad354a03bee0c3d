using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace PeerChat.Core.Server;

/// <summary>A TCP socket, under TLS from the first byte when the server has a certificate.</summary>
internal sealed class SocketTransport : ConnectionTransport
{
    // The first byte of every TLS connection: a handshake record.
    private const byte TlsHandshakeRecord = 0x16;

    private readonly Socket _socket;

    // Under TLS, the server's certificate until the handshake, then the SslStream over the socket
    // (see Tls); null in plain text, where the socket is used directly. One field rather than two:
    // every connection holds it.
    private object? _tls;

    public SocketTransport(Socket socket, X509Certificate2? certificate)
    {
        _socket = socket;
        _tls = certificate;

        // Plain-text sockets are switched to non-blocking, so a write is first tried at once: most
        // fit in the socket's buffer and then cost one system call and no asynchronous operation
        // (and an idle client keeps no send operation object cached). TLS keeps the socket
        // blocking, as the stream under SslStream requires.
        if (certificate is null)
        {
            _socket.Blocking = false;
        }
    }

    public override IPEndPoint RemoteEndPoint => Unmapped((IPEndPoint)_socket.RemoteEndPoint!);

    // The stream over the socket once the TLS handshake is done; null before it and in plain text.
    private SslStream? Tls => _tls as SslStream;

    /// <summary>TLS from the first byte, when there is a certificate; a client that starts in plain text is reported, so that it can be told.</summary>
    public override async ValueTask<TransportStart> StartAsync(CancellationToken cancellationToken)
    {
        if (_tls is not X509Certificate2 certificate)
        {
            return TransportStart.Ready;
        }

        var first = new byte[1];
        if (await _socket.ReceiveAsync(first, SocketFlags.Peek, cancellationToken).ConfigureAwait(false) == 0)
        {
            return TransportStart.Closed;
        }

        if (first[0] != TlsHandshakeRecord)
        {
            return TransportStart.PlainTextOnTlsPort;
        }

        var tls = new SslStream(new NetworkStream(_socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions { ServerCertificate = certificate, ClientCertificateRequired = false },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            return ex is OperationCanceledException ? TransportStart.TimedOut : TransportStart.HandshakeFailed;
        }

        _tls = tls;
        return TransportStart.Ready;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> memory, CancellationToken cancellationToken) =>
        Tls is { } tls
            ? tls.ReadAsync(memory, cancellationToken)
            : _socket.ReceiveAsync(memory, SocketFlags.None, cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (Tls is { } tls)
        {
            await tls.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            return;
        }

        var sent = 0;
        if (!_socket.Blocking)
        {
            sent = _socket.Send(bytes.Span, SocketFlags.None, out var error);
            if (error is not (SocketError.Success or SocketError.WouldBlock))
            {
                throw new SocketException((int)error);
            }
        }

        // The socket's buffer is full (a slow reader): wait for room, as long as the write watchdog allows.
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes[sent..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    public override ValueTask CloseOutputAsync(string reason, CancellationToken cancellationToken)
    {
        // FIN tells the client; TLS's close_notify is left out, as it always was here.
        _socket.Shutdown(SocketShutdown.Send);
        return ValueTask.CompletedTask;
    }

    public override void Abort() => _socket.Dispose();

    public override async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (Tls is { } tls)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
        }
    }
}
