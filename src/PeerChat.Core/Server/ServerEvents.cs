using System.Net;

namespace PeerChat.Core.Server;

// The typed events a server raises, for a host (the PowerShell job) to stream. They are small
// records of one family, kept together so the whole vocabulary reads at a glance.

/// <summary>Something that happened on the server, at <see cref="At"/>.</summary>
public abstract record ServerEvent(DateTimeOffset At)
{
    /// <summary>A short name of the event, e.g. <c>LoggedIn</c>.</summary>
    public string EventName => GetType().Name is var name && name.EndsWith("Event", StringComparison.Ordinal) ? name[..^"Event".Length] : GetType().Name;
}

public sealed record ServerStartedEvent(DateTimeOffset At, IPEndPoint LocalEndPoint) : ServerEvent(At);

public sealed record ServerStoppedEvent(DateTimeOffset At) : ServerEvent(At);

public sealed record ClientConnectedEvent(DateTimeOffset At, string ClientId, string Address) : ServerEvent(At);

public sealed record ClientLoggedInEvent(DateTimeOffset At, string ClientId, string UserName, string Address) : ServerEvent(At);

/// <summary>
/// A login refused. <see cref="UserName"/> is the name as given when it is a valid one, else a
/// short escaped stand-in (<see cref="Text.DisplayText.UntrustedUserName"/>). Throttled attempts
/// are folded: <see cref="Attempts"/> counts the attempts this event stands for.
/// </summary>
public sealed record LoginFailedEvent(DateTimeOffset At, string ClientId, string UserName, string Address, string Code, int Attempts = 1) : ServerEvent(At);

public sealed record SignedUpEvent(DateTimeOffset At, string ClientId, string UserName, string Address) : ServerEvent(At);

/// <summary>A connection ended; <see cref="Reason"/> is a protocol code (<c>idle_timeout</c>, <c>logout</c>, …) or <c>client_closed</c>/<c>connection_reset</c>.</summary>
public sealed record ClientDisconnectedEvent(DateTimeOffset At, string ClientId, string? UserName, string Address, string Reason) : ServerEvent(At);

/// <summary>A connection turned away at accept, with <c>server_full</c> or <c>too_many_connections</c>.</summary>
public sealed record ClientRejectedEvent(DateTimeOffset At, string Address, string Code) : ServerEvent(At);

public sealed record ClientIdleDroppedEvent(DateTimeOffset At, string ClientId, string UserName, int MessagesInWindow) : ServerEvent(At);

public sealed record SlowConsumerDroppedEvent(DateTimeOffset At, string ClientId, string? UserName, long QueuedBytes, int QueuedFrames) : ServerEvent(At);

/// <summary>A line of the user store that could not be read (kept in the file, skipped).</summary>
public sealed record UserStoreIssueEvent(DateTimeOffset At, string Path, int LineNumber, string Reason) : ServerEvent(At);

/// <summary>
/// Raised by a host that keeps events for a reader (the server job), not by the server: the
/// host's buffer was full and it dropped the <see cref="Count"/> oldest events since its reader last read.
/// </summary>
public sealed record EventsDroppedEvent(DateTimeOffset At, long Count) : ServerEvent(At);

/// <summary>
/// The message store failed (the disk is full, the file is gone) while doing <see cref="Operation"/>:
/// senders get <c>store_unavailable</c> and live chat goes on. Raised once, at the first failure
/// after the store worked; <see cref="MessageStoreRecoveredEvent"/> follows when it works again.
/// </summary>
public sealed record MessageStoreFailedEvent(DateTimeOffset At, string Operation, string Reason) : ServerEvent(At);

/// <summary>The message store works again after <see cref="MessageStoreFailedEvent"/>.</summary>
public sealed record MessageStoreRecoveredEvent(DateTimeOffset At) : ServerEvent(At);

/// <summary>An unexpected exception inside the server; the server carries on.</summary>
public sealed record ServerErrorEvent(DateTimeOffset At, string Where, Exception Exception) : ServerEvent(At);
