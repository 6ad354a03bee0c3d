namespace PeerChat.Core.Protocol;

/// <summary>
/// Why the server ended a connection, as <see cref="PeerChat.Core.Server.ClientDisconnectedEvent"/> reports it.
/// A connection closed with an <c>error</c> or <c>notice</c> frame gives that frame's code
/// (<see cref="ErrorCodes"/>, <see cref="NoticeCodes"/>); these are the ends that send none.
/// </summary>
public static class CloseReasons
{
    /// <summary>The client sent <c>logout</c>.</summary>
    public const string Logout = "logout";

    /// <summary>The client closed its side, or the server stopped reading from it.</summary>
    public const string ClientClosed = "client_closed";

    /// <summary>The network connection broke.</summary>
    public const string ConnectionReset = "connection_reset";

    /// <summary>A fault in the server ended the connection.</summary>
    public const string ServerError = "server_error";
}
