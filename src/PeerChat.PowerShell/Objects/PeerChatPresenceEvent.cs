namespace PeerChat.PowerShell.Objects;

/// <summary>Someone joined or left, as the PeerChat.ClientJoined and PeerChat.ClientLeft engine events carry it.</summary>
public sealed class PeerChatPresenceEvent
{
    internal PeerChatPresenceEvent(Core.Client.ChatPresence presence, PeerChatSession session)
    {
        UserName = presence.UserName;
        ClientId = presence.ClientId;
        Joined = presence.Joined;
        At = presence.At.LocalDateTime;
        Session = session;
    }

    public string UserName { get; }

    public string ClientId { get; }

    public bool Joined { get; }

    public DateTime At { get; }

    public PeerChatSession Session { get; }
}
