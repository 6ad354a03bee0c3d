using PeerChat.Core.Client;
using PeerChat.Core.Text;

namespace PeerChat.PowerShell.Objects;

/// <summary>A room, as <c>Get-PeerChatRoom</c> lists it or <c>Join-PeerChatRoom -PassThru</c> joined it.</summary>
public sealed class PeerChatRoom
{
    internal PeerChatRoom(RoomInfo room, PeerChatSession session)
    {
        Room = room.Room;
        Members = room.Members;
        Online = room.Online;
        Joined = room.Joined;
        Unread = room.Unread;
        LastMessageId = room.LastMessageId;
        LastMessageAt = room.LastMessageAt?.LocalDateTime;
        Session = session;
    }

    internal PeerChatRoom(RoomJoined joined, PeerChatSession session)
    {
        Room = joined.Room;
        Members = joined.Members.Count;
        MemberNames = [.. joined.Members];
        Joined = true;
        Created = joined.Created;
        Session = session;
    }

    /// <summary>Binds by property name to <c>-Room</c> of Send-PeerChatBroadcast, Get-PeerChatHistory and Exit-PeerChatRoom.</summary>
    public string Room { get; }

    public int Members { get; }

    /// <summary>Members online now; null from Join-PeerChatRoom, whose answer does not say.</summary>
    public int? Online { get; }

    public bool Joined { get; }

    /// <summary>Messages after this user's read marker (Get-PeerChatHistory -MarkRead moves it).</summary>
    public long Unread { get; }

    public string? LastMessageId { get; }

    public DateTime? LastMessageAt { get; }

    /// <summary>From Join-PeerChatRoom: whether this join created the room.</summary>
    public bool? Created { get; }

    /// <summary>From Join-PeerChatRoom: the members' names.</summary>
    public string[]? MemberNames { get; }

    /// <summary>The session that listed or joined it; binds by property name to the cmdlets' -Session.</summary>
    public PeerChatSession Session { get; }

    public override string ToString() => DisplayText.Escape(Room);
}
