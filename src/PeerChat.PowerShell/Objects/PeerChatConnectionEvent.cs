namespace PeerChat.PowerShell.Objects;

/// <summary>
/// A session's connection ended or came back, as the PeerChat.Disconnected and PeerChat.Reconnected
/// engine events carry it (sessions made with Connect-PeerChat -Reconnect).
/// </summary>
public sealed class PeerChatConnectionEvent
{
    internal PeerChatConnectionEvent(PeerChatSession session, string reason, string message, bool reconnecting, int attempts)
    {
        Session = session;
        Reason = reason;
        Message = message;
        Reconnecting = reconnecting;
        Attempts = attempts;
        ReconnectCount = session.ReconnectCount;
        At = DateTime.Now;
    }

    public PeerChatSession Session { get; }

    /// <summary>The code of what ended the connection: idle_timeout, server_shutdown, connection_closed, session_replaced, ...</summary>
    public string Reason { get; }

    /// <summary>The server's notice or the local failure, in words.</summary>
    public string Message { get; }

    /// <summary>On PeerChat.Disconnected: whether the session is trying to come back (false: it is Closed).</summary>
    public bool Reconnecting { get; }

    /// <summary>On PeerChat.Reconnected: the login attempts this return took (1 when the first one worked); 0 on PeerChat.Disconnected.</summary>
    public int Attempts { get; }

    /// <summary>The session's reconnects so far, this one included.</summary>
    public int ReconnectCount { get; }

    public DateTime At { get; }
}
