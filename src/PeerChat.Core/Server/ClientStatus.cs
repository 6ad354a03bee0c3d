namespace PeerChat.Core.Server;

/// <summary>A read-only snapshot of one logged-in client, as the <c>clients</c> reply lists it.</summary>
public sealed record ClientStatus(
    string ClientId,
    string UserName,
    string Address,
    string? PeerEndpoint,
    DateTimeOffset ConnectedAt,
    DateTimeOffset LastActiveAt,
    int Messages);
