namespace PeerChat.Core.Protocol;

/// <summary>
/// One logged-in client, as the server knows it and as a <c>clients</c> frame lists it: the same
/// record on both sides of the wire. <see cref="Messages"/> counts the user requests of the idle rule.
/// </summary>
public sealed record ClientInfo(
    string ClientId,
    string UserName,
    string Address,
    string? PeerEndpoint,
    DateTimeOffset ConnectedAt,
    DateTimeOffset LastActiveAt,
    int Messages);
