using System.Net;
using System.Security.Cryptography.X509Certificates;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;

namespace PeerChat.Core;

/// <summary>
/// Every limit and default of the server in one place. The defaults are those of docs/PROTOCOL.md;
/// MaxClients 50, IdleTimeout 30 min and MinMessages 2 are the original program's rules.
/// </summary>
public sealed record ChatServerOptions
{
    public const int DefaultPort = 4400;

    /// <summary>The address to listen on; <see cref="IPAddress.IPv6Any"/> also accepts IPv4 (dual mode).</summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.IPv6Any;

    /// <summary>The TCP port; 0 lets the system pick a free one, read back from <see cref="Server.ChatServer.Port"/>.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// The TCP port of the IRC gateway (docs/IRC.md): IRC clients log in with their PeerChat account
    /// and share the chat, the accounts and every limit of the main port. Null (the default) turns it
    /// off; 0 lets the system pick a free one, read back from <see cref="Server.ChatServer.IrcPort"/>.
    /// </summary>
    public int? IrcPort { get; init; }

    /// <summary>
    /// The TCP port of the web listener (docs/WEB.md): the chat page at <c>/</c> and WebSocket at
    /// <c>/ws</c> (peerchat/1 or IRC lines), HTTPS and WSS when the server has a certificate. Null
    /// (the default) turns it off; 0 lets the system pick a free one, read back from
    /// <see cref="Server.ChatServer.WebPort"/>.
    /// </summary>
    public int? WebPort { get; init; }

    /// <summary>
    /// Origins (such as <c>https://chat.example.com</c>) whose pages may open a WebSocket on the web
    /// port, besides the server's own page (an Origin whose host and port are those the request was
    /// sent to); <c>*</c> allows any. A client that sends no Origin is not a browser and is let in.
    /// </summary>
    public string[]? WebAllowedOrigin { get; init; }

    /// <summary>The web port waits this long for a request's whole header section, then answers 408 and closes.</summary>
    public TimeSpan WebHeaderTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections held at once, logged in or not yet; the next gets <c>server_full</c>.</summary>
    public int MaxClients { get; init; } = 50;

    /// <summary>Connections one remote address may hold before logging in.</summary>
    public int MaxPendingPerAddress { get; init; } = 10;

    /// <summary>
    /// Sessions one remote address (an IPv4 address, an IPv6 /64) may hold logged in at once; the
    /// next login gets <c>too_many_sessions</c>. Not one: people behind one NAT (a household, an
    /// office, a school) share an address, so the default lets twenty of them in, while one address
    /// with twenty sessions and its MaxPendingPerAddress still leaves most of a default server to others.
    /// </summary>
    public int MaxSessionsPerAddress { get; init; } = 20;

    /// <summary>
    /// The last places of MaxClients that only an address with no connection waiting to log in may
    /// take, so that connections held open without logging in cannot fill the server from one
    /// address: a newcomer from elsewhere still finds room to log in. Null (the default) is a tenth
    /// of MaxClients; 0 turns the reserve off.
    /// </summary>
    public int? ReservedSlots { get; init; }

    internal int EffectiveReservedSlots => ReservedSlots ?? (MaxClients / 10);

    public int MaxFrameBytes { get; init; } = 65536;
    public int MaxPreAuthFrameBytes { get; init; } = 4096;

    /// <summary>Time from accept (TLS handshake included) to a successful login.</summary>
    public TimeSpan AuthTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The idle window: a client that sent fewer than <see cref="MinMessages"/> user requests in it is dropped.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(30);

    public int MinMessages { get; init; } = 2;

    public int MaxProtocolErrors { get; init; } = 3;
    public int MaxLoginFailuresPerConnection { get; init; } = 5;

    /// <summary>Flood control: a token bucket per connection.</summary>
    public int FloodBurst { get; init; } = 20;

    /// <summary>Requests per second that refill the bucket.</summary>
    public double FloodRate { get; init; } = 10;

    /// <summary>
    /// Flood control by size: a second bucket per connection, charged the length of each frame. The
    /// default lets ordinary chat (twenty lines of a kilobyte at once) pass untouched, but holds
    /// twenty frames of 64 KiB to four at once and one a second after, so that one sender cannot
    /// push megabytes to every other client in a moment.
    /// </summary>
    public int FloodBytesBurst { get; init; } = 256 * 1024;

    /// <summary>Bytes per second that refill the size bucket.</summary>
    public double FloodBytesRate { get; init; } = 64 * 1024;

    /// <summary>Bound of one client's outbound queue in bytes; past it the client is a slow consumer.</summary>
    public long SendQueueBytes { get; init; } = 1024 * 1024;

    /// <summary>Bound of one client's outbound queue in frames.</summary>
    public int SendQueueFrames { get; init; } = 1000;

    /// <summary>
    /// The soft bound of one client's outbound queue in bytes: past it the oldest broadcasts queued
    /// for that client are dropped (counted, and the client told with <c>broadcasts_dropped</c>),
    /// so a reader that falls behind loses old broadcasts before it loses its connection. Replies,
    /// notices and direct messages are never dropped; only they can fill the queue to
    /// <see cref="SendQueueBytes"/>. Null (the default) is half of SendQueueBytes.
    /// </summary>
    public long? SendQueueSoftBytes { get; init; }

    /// <summary>The soft bound of one client's outbound queue in frames (see <see cref="SendQueueSoftBytes"/>); null is half of SendQueueFrames.</summary>
    public int? SendQueueSoftFrames { get; init; }

    internal long EffectiveSendQueueSoftBytes => SendQueueSoftBytes ?? Math.Max(1, SendQueueBytes / 2);

    internal int EffectiveSendQueueSoftFrames => SendQueueSoftFrames ?? Math.Max(1, SendQueueFrames / 2);

    /// <summary>The longest one socket write may block before the client counts as a slow consumer.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// SO_SNDBUF of each client socket; null keeps the system's autotuning. A small buffer finds a
    /// slow consumer sooner and costs less kernel memory per idle client.
    /// </summary>
    public int? SocketSendBufferBytes { get; init; }

    /// <summary>PBKDF2 iterations for new and rehashed passwords.</summary>
    public int HashIterations { get; init; } = PasswordHasher.DefaultIterations;

    /// <summary>How long a login may wait for a free hashing slot before it gets <c>throttled</c>.</summary>
    public TimeSpan HashQueueTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public int MinPasswordLength { get; init; } = 8;
    public bool AllowSignup { get; init; } = true;

    /// <summary>New accounts one remote address may create in any minute; the next signup gets <c>throttled</c>.</summary>
    public int SignupsPerAddressPerMinute { get; init; } = 10;

    /// <summary>Throttling of logins: failures counted per user and address group, per address group, and per user, in this window.</summary>
    public TimeSpan ThrottleWindow { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Failures for one user from one address group, or from one address group for any users, that block that group.</summary>
    public int ThrottleFailures { get; init; } = 5;

    /// <summary>
    /// Failures for one user from all addresses together after which that user's logins are delayed,
    /// but only from address groups that have failed for that user: guessing spread over many
    /// addresses is slowed, while the owner, from an address with no failures, still gets in.
    /// </summary>
    public int ThrottleUserFailures { get; init; } = 20;

    public TimeSpan ThrottleInitialDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan ThrottleMaxDelay { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>
    /// Throttled logins of one user from one address group are reported as one event per interval,
    /// with their count, rather than one event each.
    /// </summary>
    public TimeSpan ThrottledLoginReportInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a graceful stop waits for clients to receive <c>server_shutdown</c>.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>With a certificate (and its private key) the server speaks TLS from the first byte; without, plain TCP.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Where conversations last (rooms, history, offline queues, read markers); null runs the server
    /// memory-only, as a relay, and the requests that need a store answer that it is off. The server
    /// uses it but does not own it: whoever opened it disposes it after the server stops.
    /// </summary>
    public IMessageStore? MessageStore { get; init; }

    /// <summary>
    /// The cluster this server is one node of (docs/CLUSTER.md): other nodes' messages, room changes
    /// and sessions reach this one through it. Null (the default) runs one server alone. The server
    /// joins it when it starts and leaves it when it stops; whoever made it disposes it after that.
    /// </summary>
    public IChatBackplane? Backplane { get; init; }

    /// <summary>
    /// Where the login throttle and signup budget count (a cluster's Redis, shared by its nodes);
    /// null keeps them in this process. Its rules are this record's Throttle* and Signup* settings.
    /// </summary>
    public Server.ILoginLimits? LoginLimits { get; init; }

    /// <summary>The most messages one <c>history</c> page holds; a larger <c>limit</c> is cut to it.</summary>
    public int HistoryPageMax { get; init; } = 200;

    /// <summary>Rooms one user may be in at once; the next <c>join</c> gets <c>too_many_rooms</c>.</summary>
    public int MaxRoomsPerUser { get; init; } = 100;

    /// <summary>Rooms the server holds; a <c>join</c> that would create one more gets <c>too_many_rooms</c>.</summary>
    public int MaxRooms { get; init; } = 10_000;

    /// <summary>
    /// Lines of a channel's history the IRC gateway replays when a client without CHATHISTORY
    /// joins it (each with its server-time); 0 turns the replay off. More than HistoryPageMax is
    /// cut to it.
    /// </summary>
    public int IrcJoinReplay { get; init; } = 50;

    /// <summary>The clock of every protocol rule (auth and idle timeouts, throttling, flood control).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The name the server gives in <c>hello</c>.</summary>
    public string ServerName { get; init; } = "PeerChat " + typeof(ChatServerOptions).Assembly.GetName().Version?.ToString(3);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        Require(Port is >= 0 and <= 65535, nameof(Port), "must be 0 to 65535");
        Require(IrcPort is null or (>= 0 and <= 65535), nameof(IrcPort), "must be 0 to 65535");
        Require(WebPort is null or (>= 0 and <= 65535), nameof(WebPort), "must be 0 to 65535");
        Require(WebAllowedOrigin is null || WebAllowedOrigin.All(o => !string.IsNullOrWhiteSpace(o)), nameof(WebAllowedOrigin), "must not hold an empty origin");
        Require(WebHeaderTimeout > TimeSpan.Zero, nameof(WebHeaderTimeout), "must be positive");
        Require(ShutdownTimeout >= TimeSpan.Zero || ShutdownTimeout == Timeout.InfiniteTimeSpan, nameof(ShutdownTimeout), "must be zero or more, or infinite");
        Require(MaxClients >= 1, nameof(MaxClients), "must be at least 1");
        Require(MaxPendingPerAddress >= 1, nameof(MaxPendingPerAddress), "must be at least 1");
        Require(MaxSessionsPerAddress >= 1, nameof(MaxSessionsPerAddress), "must be at least 1");
        Require(EffectiveReservedSlots >= 0 && EffectiveReservedSlots < MaxClients, nameof(ReservedSlots), "must be 0 to MaxClients - 1");
        Require(MaxPreAuthFrameBytes >= 256, nameof(MaxPreAuthFrameBytes), "must be at least 256");
        Require(MaxFrameBytes >= MaxPreAuthFrameBytes, nameof(MaxFrameBytes), "must be at least MaxPreAuthFrameBytes");
        Require(AuthTimeout > TimeSpan.Zero, nameof(AuthTimeout), "must be positive");
        Require(IdleTimeout > TimeSpan.Zero, nameof(IdleTimeout), "must be positive");
        Require(MinMessages >= 0, nameof(MinMessages), "must not be negative");
        Require(MaxProtocolErrors >= 1, nameof(MaxProtocolErrors), "must be at least 1");
        Require(MaxLoginFailuresPerConnection >= 1, nameof(MaxLoginFailuresPerConnection), "must be at least 1");
        Require(FloodBurst >= 1, nameof(FloodBurst), "must be at least 1");
        Require(FloodRate > 0, nameof(FloodRate), "must be positive");
        Require(SendQueueBytes >= MaxFrameBytes, nameof(SendQueueBytes), "must be at least MaxFrameBytes");
        Require(SendQueueFrames >= 1, nameof(SendQueueFrames), "must be at least 1");
        Require(FloodBytesBurst >= 1, nameof(FloodBytesBurst), "must be at least 1");
        Require(FloodBytesRate > 0, nameof(FloodBytesRate), "must be positive");
        Require(EffectiveSendQueueSoftBytes >= 1 && EffectiveSendQueueSoftBytes <= SendQueueBytes, nameof(SendQueueSoftBytes), "must be 1 to SendQueueBytes");
        Require(EffectiveSendQueueSoftFrames >= 1 && EffectiveSendQueueSoftFrames <= SendQueueFrames, nameof(SendQueueSoftFrames), "must be 1 to SendQueueFrames");
        Require(WriteTimeout > TimeSpan.Zero, nameof(WriteTimeout), "must be positive");
        Require(HashIterations is >= 1 and <= PasswordHasher.MaxIterations, nameof(HashIterations), $"must be 1 to {PasswordHasher.MaxIterations}");
        Require(MinPasswordLength is >= 1 and <= PasswordRules.MaxLength, nameof(MinPasswordLength), "must be 1 to 1024");
        Require(ThrottleFailures >= 1, nameof(ThrottleFailures), "must be at least 1");
        Require(ThrottleUserFailures >= 1, nameof(ThrottleUserFailures), "must be at least 1");
        Require(SignupsPerAddressPerMinute >= 1, nameof(SignupsPerAddressPerMinute), "must be at least 1");
        Require(ThrottledLoginReportInterval > TimeSpan.Zero, nameof(ThrottledLoginReportInterval), "must be positive");
        Require(HistoryPageMax >= 1, nameof(HistoryPageMax), "must be at least 1");
        Require(MaxRoomsPerUser >= 1, nameof(MaxRoomsPerUser), "must be at least 1");
        Require(MaxRooms >= 1, nameof(MaxRooms), "must be at least 1");
        Require(IrcJoinReplay >= 0, nameof(IrcJoinReplay), "must not be negative");
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {rule}.", name);
        }
    }
}
