using System.Net.Sockets;

namespace PeerChat.Core.Server;

/// <summary>Names the socket failures that are an ordinary end of a connection, not a fault.</summary>
internal static class SocketErrors
{
    public static bool IsConnectionGone(Exception exception) => exception switch
    {
        SocketException socket => IsConnectionGone(socket.SocketErrorCode),
        IOException { InnerException: SocketException socket } => IsConnectionGone(socket.SocketErrorCode),
        IOException => true,
        ObjectDisposedException => true,
        OperationCanceledException => true,

        // A WebSocket peer that vanished or broke the framing (the close already says which).
        System.Net.WebSockets.WebSocketException => true,
        _ => false,
    };

    private static bool IsConnectionGone(SocketError error) => error is
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown
        or SocketError.OperationAborted or SocketError.Interrupted or SocketError.NotConnected
        or SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable
        or SocketError.NetworkReset or SocketError.Disconnecting;

    /// <summary>The listener was closed under its accept: the server is stopping.</summary>
    public static bool IsListenerClosed(Exception exception) => exception is ObjectDisposedException
        || exception is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted };
}
