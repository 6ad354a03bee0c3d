using PeerChat.Core.Server;

namespace PeerChat.PowerShell.Objects;

/// <summary>One server event, as <c>Receive-Job</c> returns it from a server job.</summary>
public sealed class PeerChatServerEvent
{
    internal PeerChatServerEvent(ServerEvent serverEvent)
    {
        TimeStamp = serverEvent.At.LocalDateTime;
        EventType = serverEvent.EventName;
        Event = serverEvent;
        (ClientId, UserName, Address, Detail) = serverEvent switch
        {
            ServerStartedEvent e => (null, null, e.LocalEndPoint.ToString(), null),
            ClientConnectedEvent e => (e.ClientId, null, e.Address, null),
            ClientLoggedInEvent e => (e.ClientId, e.UserName, e.Address, null),
            LoginFailedEvent { Attempts: > 1 } e => (e.ClientId, e.UserName, e.Address, $"{e.Code} ({e.Attempts} attempts)"),
            LoginFailedEvent e => (e.ClientId, e.UserName, e.Address, e.Code),
            SignedUpEvent e => (e.ClientId, e.UserName, e.Address, null),
            ClientDisconnectedEvent e => (e.ClientId, e.UserName, e.Address, e.Reason),
            ClientRejectedEvent e => (null, null, e.Address, e.Code),
            ClientIdleDroppedEvent e => (e.ClientId, e.UserName, null, $"{e.MessagesInWindow} messages in the window"),
            SlowConsumerDroppedEvent e => (e.ClientId, e.UserName, null, $"{e.QueuedBytes} bytes in {e.QueuedFrames} frames queued"),
            UserStoreIssueEvent e => (null, null, null, $"{e.Path}:{e.LineNumber}: {e.Reason}"),
            EventsDroppedEvent e => (null, null, null, $"{e.Count} older events dropped: the job's buffer was full"),
            ServerErrorEvent e => (null, null, null, $"{e.Where}: {e.Exception.Message}"),
            MessageStoreFailedEvent e => (null, null, null, $"{e.Operation}: {e.Reason}"),
            _ => ((string?)null, (string?)null, (string?)null, (string?)null),
        };
    }

    public DateTime TimeStamp { get; }

    /// <summary>Started, ClientConnected, ClientLoggedIn, LoginFailed, SignedUp, ClientDisconnected, ClientRejected, ClientIdleDropped, SlowConsumerDropped, UserStoreIssue, MessageStoreFailed, MessageStoreRecovered, ServerError, ServerStopped; EventsDropped in place of the events the job dropped when its buffer was full.</summary>
    public string EventType { get; }

    public string? ClientId { get; }

    public string? UserName { get; }

    public string? Address { get; }

    /// <summary>The reason or code: why a client left, why a login failed, …</summary>
    public string? Detail { get; }

    /// <summary>The typed event of PeerChat.Core, with every field.</summary>
    public ServerEvent Event { get; }
}
