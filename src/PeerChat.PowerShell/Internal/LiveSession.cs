using System.Collections.Concurrent;
using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// The working side of a <see cref="PeerChatSession"/>: owns its connection and inbox, keeps the
/// cache of who is online, and raises the engine events. The session object users see only
/// describes it.
/// </summary>
internal sealed class LiveSession
{
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
    public LiveSession(ReconnectingChatClient connection, string computerName, int port, PSEventManager? events, int inboxLimit = ChatInbox.DefaultLimit, long inboxLimitBytes = ChatInbox.DefaultLimitBytes)
    {
        _events = events;
        Connection = connection;
        // Offline messages are confirmed on whichever connection is current once the inbox holds them.
        Inbox = new ChatInbox(connection.Events, inboxLimit, inboxLimitBytes, connection.ConfirmReceivedAsync);
        _connectedAtTicks = DateTime.Now.Ticks;
        Session = new PeerChatSession(this, Interlocked.Increment(ref s_nextId), computerName, port, Welcome.UserName);
        Inbox.Received += OnReceived;
        connection.Disconnected += OnDisconnected;
        connection.Reconnected += OnReconnected;
    }

    /// <summary>What Connect-PeerChat writes and the other cmdlets take.</summary>
    public PeerChatSession Session { get; }

    /// <summary>The connection in use now; after a reconnect, a new one.</summary>
    public ChatClient Client => Connection.Current;

    public ReconnectingChatClient Connection { get; }

    public ChatInbox Inbox { get; }

    /// <summary>When the current connection logged in (the last reconnect, if any).</summary>
    public DateTime ConnectedAt => new(Interlocked.Read(ref _connectedAtTicks), DateTimeKind.Local);

    /// <summary>Ended for good: not open, and not coming back.</summary>
    public bool IsClosed => Connection.State == ConnectionState.Closed;

    public bool IsReconnecting => Connection.State == ConnectionState.Reconnecting;

    // The first connection's welcome until a reconnect replaces it; a client not yet logged in has none.
    public Welcome Welcome => Client.Session ?? throw new InvalidOperationException("The session's connection is not logged in.");

    /// <summary>How many were dropped since the last call: Receive-PeerChatMessage warns once for each loss.</summary>
    public long TakeNewlyDropped()
    {
        var dropped = Inbox.Dropped;
        var reported = Interlocked.Exchange(ref _droppedReported, dropped);
        return Math.Max(0, dropped - reported);
    }

    /// <summary>
    /// The user names online, for tab completion: listed once, then kept fresh by presence events,
    /// so a key press never waits on the network.
    /// </summary>
    public IReadOnlyCollection<string> OnlineUserNames()
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
    public void RememberOnline(IEnumerable<ClientInfo> clients)
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

                Raise(presence.Joined ? PeerChatSession.ClientJoinedEvent : PeerChatSession.ClientLeftEvent, () => new PeerChatPresenceEvent(presence, Session));
                break;
            default:
                // A message that cannot be converted still reaches subscribers, as a notice saying so.
                Raise(PeerChatSession.MessageReceivedEvent, () => PeerChatMessage.TryCreate(chatEvent, Session, out var message, out var failure)
                    ? message
                    : new PeerChatMessage(new ChatNotice(chatEvent.ReceivedAt, "unreadable_message", PeerChatErrors.UnreadableMessage(failure, chatEvent).Exception.Message, ClosesConnection: false), Session));
                break;
        }
    }

    private void OnDisconnected(ChatClientException reason, bool reconnecting) =>
        Raise(PeerChatSession.DisconnectedEvent, () => new PeerChatConnectionEvent(Session, reason.Code, reason.Message, reconnecting, attempts: 0));

    private void OnReconnected(ReconnectedArgs args)
    {
        Interlocked.Exchange(ref _connectedAtTicks, DateTime.Now.Ticks);

        // Who is online is relisted on the new connection when next needed.
        Volatile.Write(ref _onlineUsersKnown, 0);
        Raise(PeerChatSession.ReconnectedEvent, () => new PeerChatConnectionEvent(Session, args.Reason.Code, args.Reason.Message, reconnecting: false, args.Attempts));
    }

    private void Raise(string sourceIdentifier, Func<object> makeArgument)
    {
        // Nobody subscribed: nothing is queued, so an unwatched event never piles up.
        if (_events is null || !_events.Subscribers.Any(s => string.Equals(s.SourceIdentifier, sourceIdentifier, StringComparison.OrdinalIgnoreCase)))
        {
            return;
        }

        // $Event.Sender is the session users hold. The argument is in SourceArgs, and in
        // MessageData too, where most event examples look ($Event.MessageData).
        var argument = makeArgument();
        _events.GenerateEvent(sourceIdentifier, Session, [argument], PSObject.AsPSObject(argument));
    }
}
