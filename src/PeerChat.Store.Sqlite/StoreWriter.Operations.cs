using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// What the writer does, called only from its thread inside a group's transaction. Each operation
/// checks what it needs before its first write, so that one that fails leaves nothing behind.
/// </summary>
internal sealed partial class StoreWriter
{
    private readonly MessageStoreSettings _settings;

    // Conversation ids by key. Those created in the group under way are noted, so that a group
    // rolled back does not leave ids behind that the file never got.
    private readonly Dictionary<string, long> _conversations = new(StringComparer.Ordinal);
    private readonly List<string> _conversationsCreatedInGroup = [];

    // conversations.message_count changes of the group under way, written once per conversation at its end.
    private readonly Dictionary<long, long> _countChanges = [];

    public long AppendMessage(ChatMessage message, string? queueFor)
    {
        var conversation = ConversationId(message.Conversation);
        var insert = _insertMessage ??= _db.Raw("INSERT INTO messages(conversation_id, message_id, sender, sender_client_id, recipient, text, data, direct_id, sent_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        insert.Bind(1, conversation);
        insert.Bind(2, message.MessageId);
        insert.Bind(3, message.From);
        insert.Bind(4, message.FromClientId);
        insert.Bind(5, message.To);
        insert.Bind(6, message.Text);
        insert.Bind(7, message.Data);
        insert.Bind(8, message.DirectId);
        insert.Bind(9, MessageRows.Ticks(message.SentAt));
        insert.Run();
        var seq = insert.LastInsertRowId;
        CountChange(conversation, +1);
        if (queueFor is not null)
        {
            Queue(queueFor.ToLowerInvariant(), seq);
        }

        return seq;
    }

    public bool ConfirmOffline(string user, string upToMessageId)
    {
        var upTo = _db.Scalar(
            "SELECT q.id FROM messages m JOIN offline_queue q ON q.message_seq = m.seq WHERE m.message_id = $id AND q.user = $user",
            ("$id", upToMessageId),
            ("$user", user));
        if (upTo is null)
        {
            return false;
        }

        var removed = _db.Execute("DELETE FROM offline_queue WHERE user = $user AND id <= $upTo", ("$user", user), ("$upTo", upTo));
        _db.Execute("UPDATE offline_users SET queued = queued - $removed, dropped = 0 WHERE user = $user", ("$user", user), ("$removed", removed));
        return true;
    }

    public bool AddMember(string room, string user)
    {
        var created = _db.Execute("INSERT INTO rooms(key, name) VALUES($key, $name) ON CONFLICT DO NOTHING", ("$key", room.ToLowerInvariant()), ("$name", room)) == 1;
        _db.Execute("INSERT INTO room_members(room, user) VALUES($room, $user) ON CONFLICT DO NOTHING", ("$room", room.ToLowerInvariant()), ("$user", user));
        return created;
    }

    public bool RemoveMember(string room, string user) =>
        _db.Execute("DELETE FROM room_members WHERE room = $room AND user = $user", ("$room", room.ToLowerInvariant()), ("$user", user)) == 1;

    public bool MarkRead(string user, ConversationKey conversation, string upToMessageId)
    {
        var seq = _db.Scalar(
            "SELECT m.seq FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.message_id = $id AND c.key = $key",
            ("$id", upToMessageId),
            ("$key", conversation.Id)) ?? throw new UnknownMessageException(upToMessageId);
        _db.Execute(
            "INSERT INTO read_markers(user, conversation, message_seq, message_id) VALUES($user, $key, $seq, $id) ON CONFLICT DO UPDATE SET message_seq = excluded.message_seq, message_id = excluded.message_id",
            ("$user", user),
            ("$key", conversation.Id),
            ("$seq", seq),
            ("$id", upToMessageId));
        return true;
    }

    /// <summary>
    /// Removes up to <paramref name="batch"/> of the oldest messages (by seq, the order they were
    /// stored in) while they were sent before <paramref name="cutoff"/>; how many. Stops at the first
    /// one that is not: seq and SentAt go together, as SentAt is when the server accepted it, and if
    /// the clock stepped back the messages behind wait at most that step longer.
    /// </summary>
    public int RemoveSentBefore(DateTimeOffset cutoff, int batch)
    {
        var doomed = new List<(long Seq, long Conversation)>();
        var cutoffTicks = MessageRows.Ticks(cutoff);
        using (var rows = _db.Query("SELECT seq, conversation_id, sent_at FROM messages ORDER BY seq LIMIT $batch", ("$batch", batch)))
        {
            while (rows.Read() && rows.GetInt64(2) < cutoffTicks)
            {
                doomed.Add((rows.GetInt64(0), rows.GetInt64(1)));
            }
        }

        foreach (var (seq, conversation) in doomed)
        {
            RemoveMessage(seq, conversation);
        }

        return doomed.Count;
    }

    /// <summary>Removes up to <paramref name="batch"/> of the oldest messages of a conversation past <paramref name="keep"/>; how many.</summary>
    public int TrimConversation(long conversation, int keep, int batch)
    {
        var count = (long)(_db.Scalar("SELECT message_count FROM conversations WHERE id = $c", ("$c", conversation)) ?? 0L)
            + _countChanges.GetValueOrDefault(conversation);
        var excess = (int)Math.Min(batch, count - keep);
        if (excess <= 0)
        {
            return 0;
        }

        var doomed = new List<long>();
        using (var rows = _db.Query(
            "SELECT seq FROM messages INDEXED BY messages_by_conversation WHERE conversation_id = $c ORDER BY seq LIMIT $n",
            ("$c", conversation),
            ("$n", excess)))
        {
            while (rows.Read())
            {
                doomed.Add(rows.GetInt64(0));
            }
        }

        foreach (var seq in doomed)
        {
            RemoveMessage(seq, conversation);
        }

        return doomed.Count;
    }

    // A message that retention removes leaves the offline queues too, and counts as dropped there:
    // the user learns at login (offline_dropped) that something queued for them expired unread.
    private void RemoveMessage(long seq, long conversation)
    {
        _db.Execute("DELETE FROM messages WHERE seq = $seq", ("$seq", seq));
        CountChange(conversation, -1);
        var users = new List<string>();
        using (var rows = _db.Query("DELETE FROM offline_queue WHERE message_seq = $seq RETURNING user", ("$seq", seq)))
        {
            while (rows.Read())
            {
                users.Add(rows.GetString(0));
            }
        }

        foreach (var user in users)
        {
            _db.Execute("UPDATE offline_users SET queued = queued - 1, dropped = dropped + 1 WHERE user = $user", ("$user", user));
        }
    }

    private void Queue(string user, long seq)
    {
        _db.Execute("INSERT INTO offline_queue(user, message_seq) VALUES($user, $seq)", ("$user", user), ("$seq", seq));
        var queued = (long)_db.Scalar(
            "INSERT INTO offline_users(user, queued, dropped) VALUES($user, 1, 0) ON CONFLICT DO UPDATE SET queued = queued + 1 RETURNING queued",
            ("$user", user))!;
        var excess = queued - _settings.OfflineQueueLimit;
        if (excess > 0)
        {
            _db.Execute(
                "DELETE FROM offline_queue WHERE id IN (SELECT id FROM offline_queue WHERE user = $user ORDER BY id LIMIT $n)",
                ("$user", user),
                ("$n", excess));
            _db.Execute(
                "UPDATE offline_users SET queued = queued - $n, dropped = dropped + $n WHERE user = $user",
                ("$user", user),
                ("$n", excess));
        }
    }

    private long ConversationId(ConversationKey key)
    {
        if (_conversations.TryGetValue(key.Id, out var id))
        {
            return id;
        }

        var found = _db.Scalar("SELECT id FROM conversations WHERE key = $key", ("$key", key.Id));
        if (found is null)
        {
            found = _db.Scalar(
                "INSERT INTO conversations(key, first_user, second_user) VALUES($key, $first, $second) RETURNING id",
                ("$key", key.Id),
                ("$first", key.First),
                ("$second", key.Second));
            _conversationsCreatedInGroup.Add(key.Id);
        }

        id = (long)found!;
        _conversations[key.Id] = id;
        return id;
    }

    private void CountChange(long conversation, long change) =>
        _countChanges[conversation] = _countChanges.GetValueOrDefault(conversation) + change;

    // Run for each conversation of every group (at 50 busy pairs, one for every two or three
    // messages): a raw statement, as the append's, since a SqliteCommand made a reader, a binder
    // per parameter and boxed values each time.
    private void FlushCounts()
    {
        foreach (var (conversation, change) in _countChanges)
        {
            if (change != 0)
            {
                var update = _addToMessageCount ??= _db.Raw("UPDATE conversations SET message_count = message_count + ?1 WHERE id = ?2");
                update.Bind(1, change);
                update.Bind(2, conversation);
                update.Run();
            }
        }

        _countChanges.Clear();
    }

    private void GroupCommitted() => _conversationsCreatedInGroup.Clear();

    private void ForgetGroup()
    {
        foreach (var key in _conversationsCreatedInGroup)
        {
            _conversations.Remove(key);
        }

        _conversationsCreatedInGroup.Clear();
        _countChanges.Clear();
    }
}
