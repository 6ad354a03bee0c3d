namespace PeerChat.Core.Protocol;

/// <summary>
/// One logged-in client, as the server knows it and as a <c>clients</c> frame lists it: the same
/// record on both sides of the wire. <see cref="Messages"/> counts the user requests of the idle rule.
/// <see cref="Via"/> says how the client is connected (<see cref="ViaPeerChat"/>, <see cref="ViaIrc"/>,
/// <see cref="ViaWebSocket"/>, <see cref="ViaIrcWebSocket"/>);
/// null from a server that does not say. <see cref="Node"/> is the cluster node it is logged in on
/// (docs/CLUSTER.md); null when the server is not clustered. <see cref="PeerFingerprint"/>, under TLS
/// the fingerprint of the client's direct listener, is the server's own (for brokering, also across
/// nodes): a <c>clients</c> frame does not carry it.
/// </summary>
public sealed record ClientInfo(
    string ClientId,
    string UserName,
    string Address,
    string? PeerEndpoint,
    DateTimeOffset ConnectedAt,
    DateTimeOffset LastActiveAt,
    int Messages,
    string? Via = null,
    string? Node = null,
    string? PeerFingerprint = null)
{
    /// <summary>Connected with peerchat/1, on the server's main port.</summary>
    public const string ViaPeerChat = "peerchat";

    /// <summary>Connected with IRC, through the server's IRC gateway.</summary>
    public const string ViaIrc = "irc";

    /// <summary>Connected with peerchat/1 over WebSocket (subprotocol <c>peerchat.v1</c>), on the server's web port.</summary>
    public const string ViaWebSocket = "websocket";

    /// <summary>Connected with IRC over WebSocket (subprotocol <c>text.ircv3.net</c>), on the server's web port.</summary>
    public const string ViaIrcWebSocket = "irc-websocket";
}
