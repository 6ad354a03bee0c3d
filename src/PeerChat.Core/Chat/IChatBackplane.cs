using PeerChat.Core.Protocol;

namespace PeerChat.Core.Chat;

/// <summary>
/// What joins the chat cores of a cluster's nodes into one chat (docs/CLUSTER.md): each node tells
/// the others what it accepted (messages, room joins and leaves, logins and logouts), and hands its
/// core what they accepted. Null when the server is not clustered: a single process then costs
/// nothing more. Publishing never blocks and never throws: a failure is reported through
/// <see cref="Failed"/>, as the store's are, and local delivery goes on.
/// </summary>
public interface IChatBackplane
{
    /// <summary>This node's name in the cluster.</summary>
    string NodeName { get; }

    /// <summary>
    /// True when the chat's message store publishes each message it appends in the same step (one
    /// round trip, constant per message); the core then publishes no message itself.
    /// </summary>
    bool PublishesAppends { get; }

    /// <summary>Reaching the cluster failed (the first failure after success): what was being done, and why.</summary>
    event Action<string, Exception>? Failed;

    /// <summary>The cluster can be reached again after <see cref="Failed"/>.</summary>
    event Action? Recovered;

    /// <summary>
    /// Joins the cluster: learns who is online on the other nodes, then hands <paramref name="receiver"/>
    /// what they publish from this moment on, in the order they published it. Throws
    /// <see cref="StoreUnavailableException"/> when the cluster cannot be reached.
    /// </summary>
    Task StartAsync(IBackplaneReceiver receiver, CancellationToken cancellationToken = default);

    /// <summary>Leaves the cluster: stops reading, and the node's users are offline for the others at once.</summary>
    Task StopAsync();

    /// <summary>Tells the other nodes of a message accepted here (only when not <see cref="PublishesAppends"/>).</summary>
    void PublishMessage(ChatMessage message);

    /// <summary>Tells the other nodes that <paramref name="user"/> joined or left <paramref name="room"/> (its name as first created).</summary>
    void PublishRoomChange(string room, string user, bool joined);

    /// <summary>A session logged in here: the others list it, and end an older session of the same user.</summary>
    void SessionStarted(ClientInfo client);

    /// <summary>A session here ended; nothing happens when <paramref name="clientId"/> is no longer the user's session.</summary>
    void SessionEnded(string user, string clientId);

    /// <summary>The session of <paramref name="user"/> (any case) on another live node, or null.</summary>
    ClientInfo? FindRemote(string user);

    /// <summary>The sessions on the other live nodes, each with its <see cref="ClientInfo.Node"/>.</summary>
    IEnumerable<ClientInfo> RemoteClients { get; }

    /// <summary>How many sessions <see cref="RemoteClients"/> holds, without enumerating them (a broadcast asks for every message).</summary>
    int RemoteClientCount { get; }

    /// <summary>
    /// Brokers a direct connection to <paramref name="peer"/>, a session of <see cref="RemoteClients"/>:
    /// its node passes <paramref name="expectation"/> on to it. Completes once the cluster holds it, so
    /// that it is on its way before the sender hears the endpoint; throws
    /// <see cref="StoreUnavailableException"/> when the cluster cannot be reached.
    /// </summary>
    Task ExpectPeerAsync(ClientInfo peer, PeerExpectation expectation);
}

/// <summary>What a node's chat core does with what other nodes publish; called one at a time, in the order published.</summary>
public interface IBackplaneReceiver
{
    /// <summary>A message accepted on another node: delivered to this node's sessions it is for.</summary>
    void ReceiveMessage(ChatMessage message);

    /// <summary>A user joined or left a room on another node: this node's membership follows.</summary>
    ValueTask ReceiveRoomChangeAsync(string room, string user, bool joined, DateTimeOffset at);

    /// <summary>A session began or ended on another node.</summary>
    void ReceivePresence(bool joined, string user, string clientId, DateTimeOffset at);

    /// <summary>A later login of <paramref name="user"/> on another node replaces this node's session <paramref name="clientId"/>.</summary>
    void ReplaceSession(string user, string clientId);

    /// <summary>Whether <paramref name="user"/> (any case) has a session on this node that is not closing.</summary>
    bool Holds(string user);

    /// <summary>A sender on another node was brokered the endpoint of session <paramref name="clientId"/> of <paramref name="user"/>: it is told to expect the sender.</summary>
    void ReceivePeerExpectation(string user, string clientId, PeerExpectation expectation);
}
