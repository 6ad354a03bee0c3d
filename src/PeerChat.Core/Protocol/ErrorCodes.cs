namespace PeerChat.Core.Protocol;

/// <summary>The <c>code</c> values of <c>error</c> and <c>notice</c> frames (docs/PROTOCOL.md).</summary>
public static class ErrorCodes
{
    public const string BadFrame = "bad_frame";
    public const string UnknownType = "unknown_type";
    public const string FrameTooLarge = "frame_too_large";
    public const string AuthTimeout = "auth_timeout";
    public const string TooManyErrors = "too_many_errors";
    public const string ServerFull = "server_full";
    public const string NotAuthenticated = "not_authenticated";
    public const string InvalidCredentials = "invalid_credentials";
    public const string Throttled = "throttled";
    public const string UserExists = "user_exists";
    public const string InvalidUsername = "invalid_username";
    public const string InvalidPassword = "invalid_password";
    public const string SignupDisabled = "signup_disabled";
    public const string NoSuchUser = "no_such_user";
    public const string PeerUnavailable = "peer_unavailable";
    public const string InvalidToken = "invalid_token";
    public const string TooManyConnections = "too_many_connections";
    public const string RateLimited = "rate_limited";

    /// <summary>A login from an address that already holds MaxSessionsPerAddress sessions (this implementation's extension).</summary>
    public const string TooManySessions = "too_many_sessions";

    /// <summary>A TLS server got plain text (this implementation's extension; the connection is closed).</summary>
    public const string TlsRequired = "tls_required";

    // The extension of rooms, history, offline delivery and read markers (docs/PROTOCOL.md).
    public const string NotInRoom = "not_in_room";
    public const string NoSuchRoom = "no_such_room";
    public const string TooManyRooms = "too_many_rooms";
    public const string NoSuchMessage = "no_such_message";
    public const string UserOffline = "user_offline";

    /// <summary>The store cannot write (the disk is full): the message was not kept; live chat goes on.</summary>
    public const string StoreUnavailable = "store_unavailable";

    /// <summary>The server runs without a message store: rooms, history, offline queues and read markers are off (this implementation's extension).</summary>
    public const string StoreDisabled = "store_disabled";

    /// <summary>A room name that breaks the rule of names, 1 to 32 of A-Z a-z 0-9 . _ - (this implementation's extension).</summary>
    public const string InvalidRoom = "invalid_room";

    // Client-side codes: not sent by a server, used by the client library for local failures.
    public const string ConnectionClosed = "connection_closed";
    public const string Unreachable = "unreachable";
    public const string TlsUnavailable = "tls_unavailable";
    public const string CertificateRejected = "certificate_rejected";

    /// <summary>Under TLS to the server, a peer announced no fingerprint: a direct message would go in clear text.</summary>
    public const string DirectTlsRequired = "direct_tls_required";
    public const string Timeout = "timeout";
    public const string ProtocolViolation = "protocol_violation";

    /// <summary>A client-side notice: a session that lost its connection logged in again (ReconnectingChatClient).</summary>
    public const string Reconnected = "reconnected";
}

/// <summary>The <c>code</c> values of <c>notice</c> frames; each one closes the connection but those that say they do not.</summary>
public static class NoticeCodes
{
    /// <summary>Broadcasts to a client that fell behind were dropped, oldest first; carries <c>dropped</c>, the count. Does not close.</summary>
    public const string BroadcastsDropped = "broadcasts_dropped";

    /// <summary>Ahead of the offline messages at login: <c>count</c> were dropped from the full queue, oldest first. Does not close.</summary>
    public const string OfflineDropped = "offline_dropped";

    /// <summary>Ahead of a further batch of offline messages (this implementation's extension): <c>queued</c> follow. Does not close.</summary>
    public const string OfflineMore = "offline_more";

    public const string IdleTimeout = "idle_timeout";
    public const string SlowConsumer = "slow_consumer";
    public const string SessionReplaced = "session_replaced";
    public const string ServerShutdown = "server_shutdown";

    /// <summary>The original program's words, kept verbatim.</summary>
    public const string IdleTimeoutText = "Inactive for too long, terminating connection";
}
