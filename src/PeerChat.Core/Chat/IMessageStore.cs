namespace PeerChat.Core.Chat;

/// <summary>
/// Where conversations last: messages, offline queues, room membership and read markers. The
/// embedded default is SQLite (PeerChat.Store.Sqlite); a cluster's is on Redis. Every method may
/// throw <see cref="StoreUnavailableException"/> (the store cannot write or read now: live chat
/// goes on) and is safe to call from many threads at once.
/// </summary>
public interface IMessageStore : IAsyncDisposable
{
    /// <summary>
    /// Stores <paramref name="message"/>, and queues it for <paramref name="queueFor"/> (a direct
    /// message's recipient who is offline) in the same commit. Completes once it is durable: the
    /// sender is acknowledged only then. A queue past its limit drops its oldest and counts them.
    /// </summary>
    ValueTask AppendAsync(ChatMessage message, string? queueFor = null, CancellationToken cancellationToken = default);

    /// <summary>One page of a conversation, oldest first. Throws <see cref="UnknownMessageException"/> for a cursor that is not a message of that conversation.</summary>
    ValueTask<HistoryPage> ReadHistoryAsync(ConversationKey conversation, HistoryQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The oldest <paramref name="max"/> messages queued for <paramref name="user"/> (after the queued
    /// message <paramref name="after"/>, when given and still queued), and how many were dropped from
    /// the queue since it was last confirmed. The cursor lets the next batch be read while the
    /// confirmation of the one before is still being written.
    /// </summary>
    ValueTask<OfflineQueue> ReadOfflineAsync(string user, int max, string? after = null, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="upToMessageId"/> and every message queued before it from <paramref name="user"/>'s queue, and resets its dropped count; an id not in the queue does nothing.</summary>
    ValueTask ConfirmOfflineAsync(string user, string upToMessageId, CancellationToken cancellationToken = default);

    /// <summary>Every room and its members (names in lower case), read once when the server starts; the chat core keeps membership in memory after that.</summary>
    ValueTask<IReadOnlyList<RoomMembers>> ReadRoomsAsync(CancellationToken cancellationToken = default);

    /// <summary>Records that <paramref name="user"/> is in <paramref name="room"/> (creating the room); true when the room was created. Durable when it completes.</summary>
    ValueTask<bool> AddMemberAsync(string room, string user, CancellationToken cancellationToken = default);

    /// <summary>Records that <paramref name="user"/> left <paramref name="room"/>; false when not a member. A room keeps its history when its last member leaves.</summary>
    ValueTask<bool> RemoveMemberAsync(string room, string user, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="user"/>'s read marker in <paramref name="conversation"/>. Throws <see cref="UnknownMessageException"/> when the id is not a message of it.</summary>
    ValueTask MarkReadAsync(string user, ConversationKey conversation, string upToMessageId, CancellationToken cancellationToken = default);

    /// <summary>
    /// For each of <paramref name="conversations"/>, and each direct conversation of <paramref name="user"/>
    /// with stored messages: the last message, the read marker, and the messages after it from others.
    /// </summary>
    ValueTask<IReadOnlyList<ConversationSummary>> SummarizeAsync(string user, IReadOnlyCollection<ConversationKey> conversations, CancellationToken cancellationToken = default);
}

/// <summary>Which page of a conversation: at most one of the cursors; none asks for the latest.</summary>
public sealed record HistoryQuery(int Limit, string? Before = null, string? After = null, DateTimeOffset? Since = null);

/// <summary>Messages oldest first; <see cref="Complete"/> when nothing further exists in the direction asked (older for Before and for no cursor, newer for After and Since).</summary>
public sealed record HistoryPage(IReadOnlyList<ChatMessage> Messages, bool Complete);

/// <summary>What is queued for a user who was offline, oldest first, and how many were dropped for the queue's limit.</summary>
public sealed record OfflineQueue(IReadOnlyList<ChatMessage> Messages, long Dropped, long Total);

/// <summary>A room (its name as first created, and in lower case as a key) and its members in lower case.</summary>
public sealed record RoomMembers(string Room, IReadOnlyCollection<string> Members);

/// <summary>One conversation as a user sees it in <c>conversations</c> and <c>rooms</c>.</summary>
public sealed record ConversationSummary(
    ConversationKey Conversation,
    long Unread,
    string? ReadUpTo,
    string? LastMessageId,
    DateTimeOffset? LastMessageAt);

/// <summary>The store cannot do what was asked now (the disk is full, the file is gone); the chat goes on without it.</summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>A message id that is not a message of the conversation it was given for.</summary>
public sealed class UnknownMessageException(string messageId) : Exception($"No message '{messageId}' in that conversation.")
{
    public string MessageId { get; } = messageId;
}
