using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// Direct connections across the nodes of a cluster (docs/CLUSTER.md, "Presence and sessions"):
/// the sender's node brokers the endpoint the peer's own node saw, which that node published with
/// the session, and the peer's node passes the <c>peer_expect</c> on.
/// </summary>
internal sealed partial class ClientConnection : IDirectPeerSession
{
    public void ExpectPeer(PeerExpectation expectation) =>
        Send(SessionFrames.PeerExpect(expectation.From, expectation.FromClientId, expectation.Token, expectation.ExpiresAt));

    private async Task ConnectRemotePeerAsync(RequestFrame request, IChatBackplane cluster, ClientInfo peer)
    {
        if (peer.PeerEndpoint is null)
        {
            Send(NoDirectConnections(request, peer.UserName));
            return;
        }

        var token = PeerTokens.Create();
        var expiresAt = Clock.GetUtcNow() + PeerTokens.Lifetime;
        try
        {
            // Awaited: the expectation is on the bus before the sender connects (and a receiver
            // holds an early token a few seconds for it), and a token nobody will expect is never handed out.
            await cluster.ExpectPeerAsync(peer, new PeerExpectation(UserName!, ClientId, token, expiresAt)).ConfigureAwait(false);
        }
        catch (StoreUnavailableException)
        {
            Send(FrameWriter.Error(request.Id, ErrorCodes.PeerUnavailable, $"'{peer.UserName}' is on another node of the cluster ({peer.Node}), which cannot be reached now; use send."));
            return;
        }

        Send(SessionFrames.Peer(request.Id, peer.UserName, peer.ClientId, peer.PeerEndpoint, peer.PeerFingerprint, token));
        _server.Counters.Brokered();
    }

    private static byte[] NoDirectConnections(RequestFrame request, string user) =>
        FrameWriter.Error(request.Id, ErrorCodes.PeerUnavailable, $"'{user}' takes no direct connections; use send.");
}
