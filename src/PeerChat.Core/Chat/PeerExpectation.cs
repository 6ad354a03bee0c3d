namespace PeerChat.Core.Chat;

/// <summary>
/// A direct connection brokered to a session (peerchat/1's <c>peer_expect</c>): who will connect,
/// with which one-time token, until when.
/// </summary>
public sealed record PeerExpectation(string From, string FromClientId, string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// A session that takes direct connections (peerchat/1). In a cluster a sender on another node is
/// brokered the endpoint, and this node is told over the bus to pass the expectation on.
/// </summary>
public interface IDirectPeerSession : IChatSession
{
    /// <summary>Queues the expectation for the client; never blocks, never throws.</summary>
    void ExpectPeer(PeerExpectation expectation);
}
