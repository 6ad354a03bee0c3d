using System.Text.Json;

namespace PeerChat.Core.Client;

// What the client library hands back: small immutable records, one family, kept together.

public sealed record ChatClientOptions
{
    /// <summary>How long a request waits for its reply (a login includes the server's hashing).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the TCP connect and the server's <c>hello</c> may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Speak TLS to the server; the session's listener for direct messages then uses TLS too.</summary>
    public bool UseTls { get; init; }

    /// <summary>With TLS: accept only a server certificate with this SHA-256 fingerprint (hex), whatever the trust store says.</summary>
    public string? ServerCertificateThumbprint { get; init; }

    /// <summary>With TLS: accept any server certificate. For tests and first contact only.</summary>
    public bool SkipCertificateCheck { get; init; }

    /// <summary>Ask the server at login to tell this client who joins and leaves (<see cref="ChatPresence"/> events).</summary>
    public bool ReceivePresence { get; init; }

    /// <summary>Open a listener for direct messages and announce it at login.</summary>
    public bool EnableDirect { get; init; } = true;

    /// <summary>How long a direct connect may take before Auto falls back to relay.</summary>
    public TimeSpan DirectConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A direct connection unused this long is closed (by either side).</summary>
    public TimeSpan DirectIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the receiver holds a token it was not yet told to expect.</summary>
    public TimeSpan PeerTokenWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest frame a peer may send on a direct connection.</summary>
    public int MaxDirectFrameBytes { get; init; } = 65536;

    /// <summary>
    /// Flood control of direct messages received, per peer user: up to this many at once, refilled
    /// at <see cref="DirectFloodRate"/> a second. Past it this client stops reading from that peer
    /// until the bucket refills, so TCP holds the sender back; nothing is dropped.
    /// </summary>
    public int DirectFloodBurst { get; init; } = 1000;

    /// <summary>Direct messages a second a peer may send once its burst is spent.</summary>
    public double DirectFloodRate { get; init; } = 1000;

    /// <summary>Flood control in bytes, as <see cref="DirectFloodBurst"/> in messages: up to this many bytes of frames at once (4 MiB).</summary>
    public long DirectFloodBurstBytes { get; init; } = 4L * 1024 * 1024;

    /// <summary>Bytes of direct frames a second a peer may send once its burst is spent (1 MiB: 16 of the largest messages).</summary>
    public double DirectFloodRateBytes { get; init; } = 1024 * 1024;

    /// <summary>The clock that decides whether a direct-connection token has expired, and paces direct floods.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

/// <summary>Which way a direct message goes: straight to the peer, through the server, or direct with relay as the fallback.</summary>
public enum RoutePreference
{
    Auto,
    Direct,
    Relay,
}

/// <summary>The server's answer to <c>connect_peer</c>: where the peer listens and the token to show it.</summary>
public sealed record PeerGrant(string To, string ClientId, string Endpoint, string? Fingerprint, string Token);

/// <summary>The server's first frame.</summary>
// Extensions: requests beyond the protocol's text that the server takes (docs/PROTOCOL.md); empty for servers that name none.
public sealed record ServerHello(string Protocol, string Server, IReadOnlyList<string> Auth, int MaxFrameBytes, IReadOnlyList<string> Extensions)
{
    /// <summary>The most messages one <c>history</c> page holds (<c>"history":{"maxLimit"}</c>); 200 when the server does not say.</summary>
    public int HistoryMaxLimit { get; init; } = 200;

    /// <summary>Whether the server names <paramref name="extension"/> (<c>rooms</c>, <c>history</c>, <c>offline</c>, <c>activity</c>).</summary>
    public bool Supports(string extension) => Extensions.Contains(extension, StringComparer.Ordinal);
}

/// <summary>The server's answer to a successful login.</summary>
public sealed record Welcome(string ClientId, string UserName, string Address, TimeSpan IdleTimeout, int MinMessages)
{
    /// <summary>How many offline messages the server is about to send right after the welcome.</summary>
    public int Queued { get; init; }
}

public enum MessageKind
{
    Broadcast,
    Direct,

    /// <summary>A broadcast to the members of a room (<see cref="ChatMessage.Room"/>).</summary>
    Room,
}

public enum MessageRoute
{
    Relay,
    Direct,
}

/// <summary>The server accepted a broadcast or a message.</summary>
public sealed record SendReceipt(string MessageId, int Recipients, DateTimeOffset SentAt, MessageRoute Route, TimeSpan RoundTrip)
{
    /// <summary>A direct message to a registered user who is offline: the server stored it for their next login.</summary>
    public bool Queued { get; init; }
}

/// <summary>Something that arrived without being asked for: a message or a notice.</summary>
public abstract record ChatEvent(DateTimeOffset ReceivedAt);

public sealed record ChatMessage(
    DateTimeOffset ReceivedAt,
    MessageKind Kind,
    MessageRoute Route,
    string MessageId,
    string From,
    string? FromClientId,
    string? To,
    string Text,
    JsonElement? Data,
    DateTimeOffset SentAt) : ChatEvent(ReceivedAt)
{
    /// <summary>The room of a room message; null otherwise.</summary>
    public string? Room { get; init; }

    /// <summary>Queued by the server while this user was offline, delivered at login with its original <see cref="SentAt"/>.</summary>
    public bool Offline { get; init; }
}

/// <summary>Someone logged in (<c>joined</c>) or their session ended (<c>left</c>); only with <see cref="ChatClientOptions.ReceivePresence"/>.</summary>
public sealed record ChatPresence(DateTimeOffset ReceivedAt, bool Joined, string UserName, string ClientId, DateTimeOffset At) : ChatEvent(ReceivedAt);

/// <summary>A server notice (<c>idle_timeout</c>, <c>session_replaced</c>, …) or an error that answered no request.</summary>
public sealed record ChatNotice(DateTimeOffset ReceivedAt, string Code, string Message, bool ClosesConnection) : ChatEvent(ReceivedAt)
{
    /// <summary>
    /// For <c>broadcasts_dropped</c>: how many broadcasts the server dropped because this client fell behind reading;
    /// for <c>offline_dropped</c>: how many queued messages the server dropped for its queue's limit.
    /// </summary>
    public long Dropped { get; init; }
}

/// <summary>The answer to <c>join</c>: the room as the server spells it, whether this join created it, and its members.</summary>
public sealed record RoomJoined(string Room, bool Created, IReadOnlyList<string> Members);

/// <summary>One room as <c>rooms</c> lists it; <see cref="Unread"/> counts messages after this user's read marker.</summary>
public sealed record RoomInfo(string Room, int Members, int Online, bool Joined, long Unread, string? LastMessageId, DateTimeOffset? LastMessageAt);

/// <summary>Which conversation a request is about: everyone (both null), a room, or the direct one with a user.</summary>
public sealed record ConversationRef(string? Room = null, string? With = null)
{
    public static ConversationRef Everyone { get; } = new();

    public static ConversationRef ForRoom(string room) => new(Room: room);

    public static ConversationRef WithUser(string user) => new(With: user);

    public override string ToString() => Room is not null ? "#" + Room : With is not null ? "@" + With : "everyone";
}

/// <summary>One page of <c>history</c>, oldest first; <see cref="Complete"/> when nothing further exists in the direction asked.</summary>
public sealed record ChatHistoryPage(IReadOnlyList<ChatMessage> Messages, bool Complete);

/// <summary>What to read of a conversation: at most one cursor (none: the latest), and at most <see cref="Limit"/> (the server cuts it to its maximum).</summary>
public sealed record ChatHistoryQuery(int? Limit = null, string? Before = null, string? After = null, DateTimeOffset? Since = null);

/// <summary>One conversation as <c>conversations</c> lists it.</summary>
public sealed record ConversationInfo(ConversationRef Conversation, long Unread, string? ReadUpTo, string? LastMessageId, DateTimeOffset? LastMessageAt);
