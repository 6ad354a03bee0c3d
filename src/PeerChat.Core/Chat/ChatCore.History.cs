namespace PeerChat.Core.Chat;

public sealed partial class ChatCore
{
    /// <summary>How many messages a history page holds when the request names no limit.</summary>
    public const int DefaultHistoryLimit = 50;

    /// <summary>
    /// The conversation a user names by a room, another user, or neither (everyone), if the user
    /// may read it: a room only as its member, a direct conversation only as one of its two.
    /// </summary>
    public async ValueTask<(ChatError Error, ConversationKey Conversation, string? ShownName)> ResolveAsync(string user, string? roomName, string? with)
    {
        if (Store is null)
        {
            return (ChatError.StoreDisabled, ConversationKey.Everyone, null);
        }

        if (roomName is not null)
        {
            if (_rooms.Find(roomName) is not { } room)
            {
                return (ChatError.NoSuchRoom, ConversationKey.Everyone, null);
            }

            return room.Has(user) ? (ChatError.None, room.Conversation, room.Name) : (ChatError.NotInRoom, ConversationKey.Everyone, null);
        }

        if (with is null)
        {
            return (ChatError.None, ConversationKey.Everyone, null);
        }

        string? account;
        try
        {
            account = await AccountNameAsync(with).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("accounts", ex);
            return (ChatError.StoreUnavailable, ConversationKey.Everyone, null);
        }

        // Built from the asking user's own name: no request can name another pair's conversation.
        return account is null ? (ChatError.NoSuchUser, ConversationKey.Everyone, null) : (ChatError.None, ConversationKey.Direct(user, account), account);
    }

    /// <summary>One page of a conversation the user may read (see <see cref="ResolveAsync"/>), oldest first; the limit is cut to HistoryPageMax.</summary>
    public async ValueTask<HistoryResult> ReadHistoryAsync(string user, string? roomName, string? with, HistoryQuery query)
    {
        var (error, conversation, shownName) = await ResolveAsync(user, roomName, with).ConfigureAwait(false);
        if (error != ChatError.None)
        {
            return HistoryResult.Failed(error);
        }

        query = query with { Limit = Math.Clamp(query.Limit, 1, Settings.HistoryPageMax) };
        try
        {
            var page = await Store!.ReadHistoryAsync(conversation, query).ConfigureAwait(false);
            StoreWorked();
            return new HistoryResult(ChatError.None, page, shownName);
        }
        catch (UnknownMessageException)
        {
            return HistoryResult.Failed(ChatError.NoSuchMessage);
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("history", ex);
            return HistoryResult.Failed(ChatError.StoreUnavailable);
        }
    }

    /// <summary>The oldest <paramref name="max"/> messages queued for <paramref name="user"/> while offline, after <paramref name="after"/> when given (none without a store).</summary>
    public async ValueTask<OfflineBatch> ReadOfflineAsync(string user, int max, string? after = null)
    {
        if (Store is null)
        {
            return OfflineBatch.Empty;
        }

        try
        {
            var queue = await Store.ReadOfflineAsync(ChatRooms.Key(user), max, after).ConfigureAwait(false);
            StoreWorked();
            return new OfflineBatch(ChatError.None, queue.Messages, queue.Dropped, queue.Total);
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("offline queue", ex);
            return OfflineBatch.Empty with { Error = ChatError.StoreUnavailable };
        }
    }

    /// <summary>Removes <paramref name="upToMessageId"/> and everything queued before it from the user's queue.</summary>
    public async ValueTask<ChatError> ConfirmOfflineAsync(string user, string upToMessageId)
    {
        if (Store is null)
        {
            return ChatError.StoreDisabled;
        }

        try
        {
            await Store.ConfirmOfflineAsync(ChatRooms.Key(user), upToMessageId).ConfigureAwait(false);
            StoreWorked();
            return ChatError.None;
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("received", ex);
            return ChatError.StoreUnavailable;
        }
    }

    /// <summary>Sets the user's read marker in a conversation the user may read.</summary>
    public async ValueTask<ChatError> MarkReadAsync(string user, string? roomName, string? with, string upToMessageId)
    {
        var (error, conversation, _) = await ResolveAsync(user, roomName, with).ConfigureAwait(false);
        if (error != ChatError.None)
        {
            return error;
        }

        try
        {
            await Store!.MarkReadAsync(ChatRooms.Key(user), conversation, upToMessageId).ConfigureAwait(false);
            StoreWorked();
            return ChatError.None;
        }
        catch (UnknownMessageException)
        {
            return ChatError.NoSuchMessage;
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("mark_read", ex);
            return ChatError.StoreUnavailable;
        }
    }

    /// <summary>Everyone, each room the user is in, and each of the user's direct conversations with stored messages, with what is unread.</summary>
    public async ValueTask<(ChatError Error, IReadOnlyList<ConversationInfo> Conversations)> ListConversationsAsync(string user)
    {
        if (Store is null)
        {
            return (ChatError.StoreDisabled, []);
        }

        var rooms = _rooms.JoinedBy(user).ToDictionary(r => r.Conversation.Id, StringComparer.Ordinal);
        IReadOnlyList<ConversationSummary> summaries;
        try
        {
            summaries = await Store.SummarizeAsync(ChatRooms.Key(user), [ConversationKey.Everyone, .. rooms.Values.Select(r => r.Conversation)]).ConfigureAwait(false);
            StoreWorked();
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("conversations", ex);
            return (ChatError.StoreUnavailable, []);
        }

        // Never shown, whatever a store returns: another pair's conversation.
        var shown = summaries.Where(s => s.Conversation.Kind != ConversationKind.Direct || s.Conversation.Involves(user)).ToList();
        var peers = await DisplayNamesAsync(shown.Select(s => s.Conversation.Kind == ConversationKind.Direct ? s.Conversation.PeerOf(user)! : string.Empty)).ConfigureAwait(false);
        var list = new List<ConversationInfo>(shown.Count);
        for (var k = 0; k < shown.Count; k++)
        {
            var summary = shown[k];
            var key = summary.Conversation;
            string? room = null, with = null;
            if (key.Kind == ConversationKind.Room)
            {
                room = rooms.TryGetValue(key.Id, out var known) ? known.Name : key.Room;
            }
            else if (key.Kind == ConversationKind.Direct)
            {
                with = peers[k];
            }

            list.Add(new ConversationInfo(room, with, summary.Unread, summary.ReadUpTo, summary.LastMessageId, summary.LastMessageAt));
        }

        return (ChatError.None, list);
    }
}
