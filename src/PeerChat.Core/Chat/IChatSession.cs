using PeerChat.Core.Protocol;

namespace PeerChat.Core.Chat;

/// <summary>
/// One logged-in user as the chat core sees it, whatever front end holds the connection
/// (peerchat/1 today, IRC next). The core calls these from any thread, often inside a loop over
/// thousands of sessions: each call only queues, never waits on a socket, and never throws.
/// </summary>
public interface IChatSession
{
    /// <summary>The user, as the account spells it.</summary>
    string UserName { get; }

    /// <summary>Unique among the server's sessions (peerchat/1: the <c>clientId</c>).</summary>
    string SessionId { get; }

    /// <summary>True once the session has begun to end: it takes nothing more.</summary>
    bool IsClosing { get; }

    /// <summary>Whether the session asked to hear who joins and leaves.</summary>
    bool WantsPresence { get; }

    /// <summary>What a list of the logged-in clients shows of it.</summary>
    ClientInfo Snapshot();

    /// <summary>Queues a message; false when the session did not take it (closing, or too far behind).</summary>
    bool Deliver(MessageDelivery delivery);

    /// <summary>Queues a presence change (only sessions that want presence get one).</summary>
    void Notify(PresenceChange change);

    /// <summary>Queues a change of a room the session's user is in.</summary>
    void Notify(RoomChange change);

    /// <summary>Another login of the same user took over: the session ends.</summary>
    void Replace();
}
