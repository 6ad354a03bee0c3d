using PeerChat.PowerShell.Internal;

namespace PeerChat.PowerShell.Objects;

/// <summary>
/// A logged-in connection to a PeerChat server, as <c>Connect-PeerChat</c> returns it. Messages that
/// arrive wait in its inbox until <c>Receive-PeerChatMessage</c> takes them. A description only:
/// the connection, the inbox and the events belong to its <see cref="LiveSession"/>.
/// </summary>
public sealed class PeerChatSession
{
    /// <summary>The engine events a session raises, when someone subscribed (Register-EngineEvent).</summary>
    public const string MessageReceivedEvent = "PeerChat.MessageReceived";
    public const string ClientJoinedEvent = "PeerChat.ClientJoined";
    public const string ClientLeftEvent = "PeerChat.ClientLeft";

    /// <summary>With Connect-PeerChat -Reconnect: the connection ended (and whether it is coming back), and it came back.</summary>
    public const string DisconnectedEvent = "PeerChat.Disconnected";
    public const string ReconnectedEvent = "PeerChat.Reconnected";

    internal PeerChatSession(LiveSession live, int id, string computerName, int port, string userName)
    {
        Live = live;
        Id = id;
        ComputerName = computerName;
        Port = port;
        UserName = userName;
    }

    public int Id { get; }

    public string ComputerName { get; }

    public int Port { get; }

    public string UserName { get; }

    /// <summary>The id the server gave the current connection; a reconnect brings a new one.</summary>
    public string ClientId => Live.Welcome.ClientId;

    /// <summary>This client's address as the server sees it.</summary>
    public string Address => Live.Welcome.Address;

    public TimeSpan IdleTimeout => Live.Welcome.IdleTimeout;

    /// <summary>The port this session listens on for direct messages; null with -NoDirect.</summary>
    public int? DirectPort => Live.Client.DirectPort;

    /// <summary>When the current connection logged in (the last reconnect, if any).</summary>
    public DateTime ConnectedAt => Live.ConnectedAt;

    /// <summary>Open; Reconnecting after a drop (with -Reconnect); Closed once the session has ended for good.</summary>
    public string State => Live.Connection.State.ToString();

    /// <summary>Why the session ended (the server's notice or error), once it has.</summary>
    public string? CloseReason => Live.IsClosed ? (Live.Connection.CloseReason ?? Live.Client.CloseReason)?.Message : null;

    /// <summary>Whether the session logs in again after a drop (Connect-PeerChat -Reconnect).</summary>
    public bool Reconnect => Live.Connection.ReconnectEnabled;

    /// <summary>How many times the session logged in again after a drop.</summary>
    public int ReconnectCount => Live.Connection.ReconnectCount;

    /// <summary>The code of what ended the last connection (idle_timeout, server_shutdown, connection_closed, ...); null while the first is open.</summary>
    public string? LastDisconnectReason => Live.Connection.LastDisconnectReason?.Code;

    /// <summary>Messages and notices waiting to be received.</summary>
    public int PendingMessages => Live.Inbox.Count;

    /// <summary>The most the inbox keeps (Connect-PeerChat -InboxLimit); past it the oldest are dropped.</summary>
    public int InboxLimit => Live.Inbox.Limit;

    /// <summary>The most memory the unread messages may hold, in bytes (Connect-PeerChat -InboxLimitBytes); past it the oldest are dropped.</summary>
    public long InboxLimitBytes => Live.Inbox.LimitBytes;

    /// <summary>Messages dropped unread because the inbox was full (by count or by bytes).</summary>
    public long DroppedMessages => Live.Inbox.Dropped;

    public bool IsDefault => ReferenceEquals(SessionRegistry.Default, this);

    /// <summary>The connection, inbox and events behind these properties; the cmdlets work through it.</summary>
    internal LiveSession Live { get; }

    public override string ToString() => Core.Text.DisplayText.Escape($"{UserName}@{ComputerName}:{Port}");
}
