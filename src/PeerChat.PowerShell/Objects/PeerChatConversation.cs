using PeerChat.Core.Client;
using PeerChat.Core.Text;

namespace PeerChat.PowerShell.Objects;

public enum PeerChatConversationKind
{
    Everyone,
    Room,
    Direct,
}

/// <summary>One conversation of the session's user, as <c>Get-PeerChatConversation</c> lists it.</summary>
public sealed class PeerChatConversation
{
    internal PeerChatConversation(ConversationInfo conversation, PeerChatSession session)
    {
        Room = conversation.Conversation.Room;
        With = conversation.Conversation.With;
        Kind = Room is not null ? PeerChatConversationKind.Room : With is not null ? PeerChatConversationKind.Direct : PeerChatConversationKind.Everyone;
        Unread = conversation.Unread;
        ReadUpTo = conversation.ReadUpTo;
        LastMessageId = conversation.LastMessageId;
        LastMessageAt = conversation.LastMessageAt?.LocalDateTime;
        Session = session;
    }

    public PeerChatConversationKind Kind { get; }

    /// <summary>The room; null unless <see cref="Kind"/> is Room. Binds by property name to Get-PeerChatHistory -Room.</summary>
    public string? Room { get; }

    /// <summary>The other user of a direct conversation; null otherwise. Binds by property name to Get-PeerChatHistory -With.</summary>
    public string? With { get; }

    /// <summary>Messages from others after the read marker.</summary>
    public long Unread { get; }

    /// <summary>The message the read marker is at; null when none was set.</summary>
    public string? ReadUpTo { get; }

    public string? LastMessageId { get; }

    public DateTime? LastMessageAt { get; }

    public PeerChatSession Session { get; }

    /// <summary>How Enter-PeerChat's /to names it: <c>*</c>, <c>#room</c> or <c>@user</c>.</summary>
    public string Name => Kind switch
    {
        PeerChatConversationKind.Room => "#" + Room,
        PeerChatConversationKind.Direct => "@" + With,
        _ => "*",
    };

    public override string ToString() => DisplayText.Escape(Name);
}
