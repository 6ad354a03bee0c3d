using System.Collections.Concurrent;
using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.PowerShell.Internal;

namespace PeerChat.PowerShell.Objects;

/// <summary>
/// A logged-in connection to a PeerChat server, as <c>Connect-PeerChat</c> returns it. Messages that
/// arrive wait in its inbox until <c>Receive-PeerChatMessage</c> takes them.
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

    // How long tab completion may wait for the first list of online users; later it uses the cache.
    private static readonly TimeSpan FirstListTimeout = TimeSpan.FromSeconds(2);

    private static int s_nextId;

    private readonly PSEventManager? _events;
    private readonly ConcurrentDictionary<string, byte> _onlineUsers = new(PasswordRules.UserNameComparer);
    private int _onlineUsersKnown;
    private long _droppedReported;

    // Ticks of a local DateTime: read and written whole from any thread.
    private long _connectedAtTicks;

    /// <param name="connection">The logged-in connection, which comes back after a drop when it was made with a reconnect policy.</param>
    internal PeerChatSession(ReconnectingChatClient connection, string computerName, int port, PSEventManager? events, int inboxLimit = ChatInbox.DefaultLimit, long inboxLimitBytes = ChatInbox.DefaultLimitBytes)
    {
        _events = events;
        Id = Interlocked.Increment(ref s_nextId);
        Connection = connection;
        // Offline messages are confirmed on whichever connection is current once the inbox holds them.
        Inbox = new ChatInbox(connection.Events, inboxLimit, inboxLimitBytes, connection.ConfirmReceivedAsync);
        ComputerName = computerName;
        Port = port;
        UserName = Welcome.UserName;
        _connectedAtTicks = DateTime.Now.Ticks;
        Inbox.Received += OnReceived;
        connection.Disconnected += OnDisconnected;
        connection.Reconnected += OnReconnected;
    }

    public int Id { get; }

    public string ComputerName { get; }

    public int Port { get; }

    public string UserName { get; }

    /// <summary>The id the server gave the current connection; a reconnect brings a new one.</summary>
    public string ClientId => Welcome.ClientId;

    /// <summary>This client's address as the server sees it.</summary>
    public string Address => Welcome.Address;

    public TimeSpan IdleTimeout => Welcome.IdleTimeout;

    /// <summary>The port this session listens on for direct messages; null with -NoDirect.</summary>
    public int? DirectPort => Client.DirectPort;

    /// <summary>When the current connection logged in (the last reconnect, if any).</summary>
    public DateTime ConnectedAt => new(Interlocked.Read(ref _connectedAtTicks), DateTimeKind.Local);

    /// <summary>Open; Reconnecting after a drop (with -Reconnect); Closed once the session has ended for good.</summary>
    public string State => Connection.State.ToString();

    /// <summary>Why the session ended (the server's notice or error), once it has.</summary>
    public string? CloseReason => IsClosed ? (Connection.CloseReason ?? Client.CloseReason)?.Message : null;

    /// <summary>Whether the session logs in again after a drop (Connect-PeerChat -Reconnect).</summary>
    public bool Reconnect => Connection.ReconnectEnabled;

    /// <summary>How many times the session logged in again after a drop.</summary>
    public int ReconnectCount => Connection.ReconnectCount;

    /// <summary>The code of what ended the last connection (idle_timeout, server_shutdown, connection_closed, ...); null while the first is open.</summary>
    public string? LastDisconnectReason => Connection.LastDisconnectReason?.Code;

    /// <summary>Messages and notices waiting to be received.</summary>
    public int PendingMessages => Inbox.Count;

    /// <summary>The most the inbox keeps (Connect-PeerChat -InboxLimit); past it the oldest are dropped.</summary>
    public int InboxLimit => Inbox.Limit;

    /// <summary>The most memory the unread messages may hold, in bytes (Connect-PeerChat -InboxLimitBytes); past it the oldest are dropped.</summary>
    public long InboxLimitBytes => Inbox.LimitBytes;

    /// <summary>Messages dropped unread because the inbox was full (by count or by bytes).</summary>
    public long DroppedMessages => Inbox.Dropped;

    public bool IsDefault => ReferenceEquals(SessionRegistry.Default, this);

    /// <summary>The connection in use now; after a reconnect, a new one.</summary>
    internal ChatClient Client => Connection.Current;

    internal ReconnectingChatClient Connection { get; }

    internal ChatInbox Inbox { get; }

    /// <summary>Ended for good: not open, and not coming back.</summary>
    internal bool IsClosed => Connection.State == ConnectionState.Closed;

    internal bool IsReconnecting => Connection.State == ConnectionState.Reconnecting;

    // The first connection's welcome until a reconnect replaces it; a client not yet logged in has none.
    private Welcome Welcome => Client.Session ?? throw new InvalidOperationException("The session's connection is not logged in.");

    public override string ToString() => Core.Text.DisplayText.Escape($"{UserName}@{ComputerName}:{Port}");

    /// <summary>How many were dropped since the last call: Receive-PeerChatMessage warns once for each loss.</summary>
    internal long TakeNewlyDropped()
    {
        var dropped = Inbox.Dropped;
        var reported = Interlocked.Exchange(ref _droppedReported, dropped);
        return Math.Max(0, dropped - reported);
    }

    /// <summary>
    /// The user names online, for tab completion: listed once, then kept fresh by presence events,
    /// so a key press never waits on the network.
    /// </summary>
    internal IReadOnlyCollection<string> OnlineUserNames()
    {
        if (Volatile.Read(ref _onlineUsersKnown) == 0 && Client.IsConnected)
        {
            try
            {
                RememberOnline(Client.ListAsync().WaitAsync(FirstListTimeout).GetAwaiter().GetResult());
            }
            catch (Exception ex) when (ex is ChatClientException or TimeoutException)
            {
                // Completion offers nothing rather than an error.
            }
        }

        return [.. _onlineUsers.Keys.Order(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Replaces the cache with a fresh list (Get-PeerChatClient calls this too).</summary>
    internal void RememberOnline(IEnumerable<ClientInfo> clients)
    {
        _onlineUsers.Clear();
        foreach (var client in clients)
        {
            _onlineUsers[client.UserName] = 0;
        }

        Volatile.Write(ref _onlineUsersKnown, 1);
    }

    /// <summary>On a background thread: keeps the cache current and raises engine events for subscribers.</summary>
    private void OnReceived(ChatEvent chatEvent)
    {
        switch (chatEvent)
        {
            case ChatPresence presence:
                if (presence.Joined)
                {
                    _onlineUsers[presence.UserName] = 0;
                }
                else
                {
                    _onlineUsers.TryRemove(presence.UserName, out _);
                }

                Raise(presence.Joined ? ClientJoinedEvent : ClientLeftEvent, () => new PeerChatPresenceEvent(presence, this));
                break;
            default:
                // A message that cannot be converted still reaches subscribers, as a notice saying so.
                Raise(MessageReceivedEvent, () => PeerChatMessage.TryCreate(chatEvent, this, out var message, out var failure)
                    ? message
                    : new PeerChatMessage(new ChatNotice(chatEvent.ReceivedAt, "unreadable_message", PeerChatErrors.UnreadableMessage(failure, chatEvent).Exception.Message, ClosesConnection: false), this));
                break;
        }
    }

    private void OnDisconnected(ChatClientException reason, bool reconnecting) =>
        Raise(DisconnectedEvent, () => new PeerChatConnectionEvent(this, reason.Code, reason.Message, reconnecting, attempts: 0));

    private void OnReconnected(ReconnectedArgs args)
    {
        Interlocked.Exchange(ref _connectedAtTicks, DateTime.Now.Ticks);

        // Who is online is relisted on the new connection when next needed.
        Volatile.Write(ref _onlineUsersKnown, 0);
        Raise(ReconnectedEvent, () => new PeerChatConnectionEvent(this, args.Reason.Code, args.Reason.Message, reconnecting: false, args.Attempts));
    }

    private void Raise(string sourceIdentifier, Func<object> makeArgument)
    {
        // Nobody subscribed: nothing is queued, so an unwatched event never piles up.
        if (_events is null || !_events.Subscribers.Any(s => string.Equals(s.SourceIdentifier, sourceIdentifier, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        // In SourceArgs, and in MessageData too, where most event examples look ($Event.MessageData).
        var argument = makeArgument();
        _events.GenerateEvent(sourceIdentifier, this, [argument], PSObject.AsPSObject(argument));
    }
}
