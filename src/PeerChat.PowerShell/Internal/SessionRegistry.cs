using System.Collections.Concurrent;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// The open sessions of this process and the default one, which every cmdlet uses when no
/// <c>-Session</c> is given. Process-wide, like the sockets they hold.
/// </summary>
internal static class SessionRegistry
{
    private static readonly ConcurrentDictionary<int, PeerChatSession> s_sessions = new();
    private static PeerChatSession? s_default;

    public static PeerChatSession? Default => Volatile.Read(ref s_default);

    public static IEnumerable<PeerChatSession> All => s_sessions.Values.OrderBy(s => s.Id);

    public static void Add(PeerChatSession session)
    {
        s_sessions[session.Id] = session;
        Volatile.Write(ref s_default, session);
    }

    public static void Remove(PeerChatSession session)
    {
        s_sessions.TryRemove(session.Id, out _);
        Interlocked.CompareExchange(ref s_default, null, session);
    }
}
