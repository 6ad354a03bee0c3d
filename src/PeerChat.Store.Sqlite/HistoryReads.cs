using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// The reads, each run in one snapshot on a reader connection. Pages walk the index
/// (conversation_id, seq), so a page costs the same in a conversation of a hundred messages or of
/// a million.
/// </summary>
internal static class HistoryReads
{
    private const string FromConversation = $"SELECT {MessageRows.Columns} FROM messages m INDEXED BY messages_by_conversation WHERE m.conversation_id = $c";

    public static HistoryPage ReadPage(Statements db, ConversationKey conversation, HistoryQuery query)
    {
        var cursor = query.Before ?? query.After;
        var id = db.Scalar("SELECT id FROM conversations WHERE key = $key", ("$key", conversation.Id));
        if (id is null)
        {
            return cursor is null ? new HistoryPage([], Complete: true) : throw new UnknownMessageException(cursor);
        }

        var take = query.Limit + 1;
        List<ChatMessage> messages;
        if (cursor is not null)
        {
            var seq = db.Scalar("SELECT seq FROM messages WHERE message_id = $id AND conversation_id = $c", ("$id", cursor), ("$c", id))
                ?? throw new UnknownMessageException(cursor);
            messages = query.Before is not null
                ? Read(db, conversation, $"{FromConversation} AND m.seq < $seq ORDER BY m.seq DESC LIMIT $take", ("$c", id), ("$seq", seq), ("$take", take))
                : Read(db, conversation, $"{FromConversation} AND m.seq > $seq ORDER BY m.seq LIMIT $take", ("$c", id), ("$seq", seq), ("$take", take));
        }
        else if (query.Since is { } since)
        {
            // Walks the conversation from its oldest message: bounded by HistoryMaxPerConversation,
            // which spares every append the cost of a (conversation, time) index.
            messages = Read(db, conversation, $"{FromConversation} AND m.sent_at >= $since ORDER BY m.seq LIMIT $take", ("$c", id), ("$since", MessageRows.Ticks(since)), ("$take", take));
        }
        else
        {
            messages = Read(db, conversation, $"{FromConversation} ORDER BY m.seq DESC LIMIT $take", ("$c", id), ("$take", take));
        }

        var complete = messages.Count <= query.Limit;
        if (!complete)
        {
            messages.RemoveAt(messages.Count - 1);
        }

        // The newest-first reads were taken from the end backwards; a page is oldest first.
        if (query.After is null && query.Since is null)
        {
            messages.Reverse();
        }

        return new HistoryPage(messages, complete);
    }

    public static OfflineQueue ReadOffline(Statements db, string user, int max, string? after)
    {
        // A cursor no longer queued was confirmed or dropped for the queue's limit, and with it
        // everything queued before it: what is left all comes after it, so the read starts at the head.
        var messages = new List<ChatMessage>();
        using (var rows = db.Query(
            $"SELECT {MessageRows.Columns}, c.key FROM offline_queue q JOIN messages m ON m.seq = q.message_seq JOIN conversations c ON c.id = m.conversation_id " +
            "WHERE q.user = $user AND q.id > COALESCE((SELECT a.id FROM messages am JOIN offline_queue a ON a.message_seq = am.seq WHERE am.message_id = $after AND a.user = $user), 0) ORDER BY q.id LIMIT $max",
            ("$user", user),
            ("$after", after),
            ("$max", max)))
        {
            while (rows.Read())
            {
                messages.Add(MessageRows.Read(rows, MessageRows.Conversation(rows.GetString(8))));
            }
        }

        using var counts = db.Query("SELECT queued, dropped FROM offline_users WHERE user = $user", ("$user", user));
        return counts.Read() ? new OfflineQueue(messages, Dropped: counts.GetInt64(1), Total: counts.GetInt64(0)) : new OfflineQueue(messages, 0, 0);
    }

    public static IReadOnlyList<RoomMembers> ReadRooms(Statements db)
    {
        var rooms = new List<RoomMembers>();
        using var rows = db.Query("SELECT r.key, r.name, m.user FROM rooms r LEFT JOIN room_members m ON m.room = r.key ORDER BY r.key, m.user");
        string? key = null;
        List<string> members = [];
        while (rows.Read())
        {
            if (rows.GetString(0) != key)
            {
                key = rows.GetString(0);
                members = [];
                rooms.Add(new RoomMembers(rows.GetString(1), members));
            }

            if (!rows.IsDBNull(2))
            {
                members.Add(rows.GetString(2));
            }
        }

        return rooms;
    }

    /// <summary>
    /// Unread counts stop at <paramref name="maxUnread"/> (HistoryMaxPerConversation: no more can be
    /// kept), so a summary's work is bounded even before retention has trimmed a conversation.
    /// </summary>
    public static IReadOnlyList<ConversationSummary> Summarize(Statements db, string user, IReadOnlyCollection<ConversationKey> conversations, int maxUnread)
    {
        var keys = new List<ConversationKey>(conversations);
        var seen = new HashSet<string>(conversations.Select(c => c.Id), StringComparer.Ordinal);
        using (var rows = db.Query(
            "SELECT key FROM conversations WHERE (first_user = $user OR second_user = $user) AND message_count > 0 ORDER BY key",
            ("$user", user)))
        {
            while (rows.Read())
            {
                var key = MessageRows.Conversation(rows.GetString(0));
                if (seen.Add(key.Id))
                {
                    keys.Add(key);
                }
            }
        }

        return keys.Select(key => Summarize(db, user, key, maxUnread)).ToList();
    }

    private static ConversationSummary Summarize(Statements db, string user, ConversationKey conversation, int maxUnread)
    {
        long? markerSeq = null;
        string? readUpTo = null;
        using (var marker = db.Query("SELECT message_seq, message_id FROM read_markers WHERE user = $user AND conversation = $key", ("$user", user), ("$key", conversation.Id)))
        {
            if (marker.Read())
            {
                markerSeq = marker.GetInt64(0);
                readUpTo = marker.GetString(1);
            }
        }

        var id = db.Scalar("SELECT id FROM conversations WHERE key = $key", ("$key", conversation.Id));
        if (id is null)
        {
            return new ConversationSummary(conversation, 0, readUpTo, null, null);
        }

        string? lastId = null;
        DateTimeOffset? lastAt = null;
        using (var last = db.Query("SELECT message_id, sent_at FROM messages INDEXED BY messages_by_conversation WHERE conversation_id = $c ORDER BY seq DESC LIMIT 1", ("$c", id)))
        {
            if (last.Read())
            {
                lastId = last.GetString(0);
                lastAt = new DateTimeOffset(last.GetInt64(1), TimeSpan.Zero);
            }
        }

        var unread = (long)db.Scalar(
            "SELECT count(*) FROM (SELECT 1 FROM messages INDEXED BY messages_by_conversation WHERE conversation_id = $c AND seq > $after AND sender <> $user COLLATE NOCASE LIMIT $max)",
            ("$c", id),
            ("$after", markerSeq ?? 0L),
            ("$user", user),
            ("$max", maxUnread))!;
        return new ConversationSummary(conversation, unread, readUpTo, lastId, lastAt);
    }

    private static List<ChatMessage> Read(Statements db, ConversationKey conversation, string sql, params ReadOnlySpan<(string Name, object? Value)> values)
    {
        var messages = new List<ChatMessage>();
        using var rows = db.Query(sql, values);
        while (rows.Read())
        {
            messages.Add(MessageRows.Read(rows, conversation));
        }

        return messages;
    }
}
