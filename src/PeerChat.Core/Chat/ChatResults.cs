namespace PeerChat.Core.Chat;

/// <summary>Why the core refused a request; each front end says it its own way (peerchat/1: an <c>error</c> code).</summary>
public enum ChatError
{
    None,

    /// <summary>No account of that name.</summary>
    NoSuchUser,

    /// <summary>A registered user who is not online, and no store to queue for them.</summary>
    UserOffline,

    NoSuchRoom,
    NotInRoom,

    /// <summary>The user is in MaxRoomsPerUser rooms, or the server holds MaxRooms.</summary>
    TooManyRooms,

    /// <summary>A room name that breaks the naming rule (that of user names).</summary>
    InvalidRoom,

    /// <summary>A message id that is not one of that conversation's.</summary>
    NoSuchMessage,

    /// <summary>The store failed (the disk is full): the request was not kept.</summary>
    StoreUnavailable,

    /// <summary>The server runs without a store, so rooms, history, offline queues and read markers are off.</summary>
    StoreDisabled,
}

/// <summary>
/// What became of a message: its id, how many online sessions it was handed to, and whether it
/// was queued for an offline recipient. With <see cref="ChatError.StoreUnavailable"/> a broadcast
/// or a message to an online user was still delivered live (<see cref="Recipients"/>), only not
/// kept; a message for an offline user was not accepted at all.
/// </summary>
public readonly record struct PostResult(ChatError Error, string? MessageId, int Recipients, bool Queued)
{
    /// <summary>When the server accepted the message (the time its recipients and history show); default when it failed.</summary>
    public DateTimeOffset SentAt { get; init; }

    public static PostResult Failed(ChatError error) => new(error, null, 0, false);
}

/// <summary>The answer to a join: the room (as first created), whether this join created it, and its members.</summary>
public sealed record JoinResult(ChatError Error, string? Room, bool Created, IReadOnlyList<string> Members)
{
    public static JoinResult Failed(ChatError error) => new(error, null, false, []);
}

/// <summary>One room as a user sees it in a list of rooms.</summary>
public sealed record RoomInfo(string Room, int Members, int Online, bool Joined, long Unread, string? LastMessageId, DateTimeOffset? LastMessageAt);

/// <summary>One conversation a user is in, with what the user has not read: <see cref="Room"/> or <see cref="With"/> names it, neither for everyone.</summary>
public sealed record ConversationInfo(string? Room, string? With, long Unread, string? ReadUpTo, string? LastMessageId, DateTimeOffset? LastMessageAt);

/// <summary>A page of history, or why not.</summary>
public sealed record HistoryResult(ChatError Error, HistoryPage? Page, string? RoomName)
{
    public static HistoryResult Failed(ChatError error) => new(error, null, null);
}

/// <summary>A batch of a user's offline queue: the oldest messages, and how many were dropped for the queue's limit.</summary>
public sealed record OfflineBatch(ChatError Error, IReadOnlyList<ChatMessage> Messages, long Dropped, long Total)
{
    public static OfflineBatch Empty { get; } = new(ChatError.None, [], 0, 0);
}

/// <summary>Limits of the chat core (the peerchat/1 server takes them from its options).</summary>
public sealed record ChatCoreSettings
{
    /// <summary>The most messages one history page holds; a larger limit is cut to it.</summary>
    public int HistoryPageMax { get; init; } = 200;

    public int MaxRoomsPerUser { get; init; } = 100;

    public int MaxRooms { get; init; } = 10_000;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
