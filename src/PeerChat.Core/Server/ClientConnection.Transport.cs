using System.Net.Security;
using System.Net.Sockets;

namespace PeerChat.Core.Server;

internal sealed partial class ClientConnection
{
    // Under TLS, the stream over the socket once the handshake is done; null in plain text, where
    // the socket is used directly.
    private SslStream? _tls;

    /// <summary>
    /// Plain-text sockets are switched to non-blocking, so a write is first tried at once: most
    /// fit in the socket's buffer and then cost one system call and no asynchronous operation (and
    /// an idle client keeps no send operation object cached). TLS keeps the socket blocking, as
    /// the stream under SslStream requires.
    /// </summary>
    private void ConfigurePlainSocket()
    {
        if (_options.Certificate is null)
        {
            _socket.Blocking = false;
        }
    }

    /// <summary>Reads into <paramref name="memory"/>; an empty one waits until bytes are there without taking any.</summary>
    private ValueTask<int> ReadAsync(Memory<byte> memory) =>
        _tls is { } tls
            ? tls.ReadAsync(memory, _abort.Token)
            : _socket.ReceiveAsync(memory, SocketFlags.None, _abort.Token);

    /// <summary>Writes all of <paramref name="bytes"/>, or throws.</summary>
    private async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        if (_tls is { } tls)
        {
            await tls.WriteAsync(bytes, _abort.Token).ConfigureAwait(false);
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
            sent += await _socket.SendAsync(bytes[sent..], SocketFlags.None, _abort.Token).ConfigureAwait(false);
        }
    }
}
