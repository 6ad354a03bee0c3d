using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

/// <summary>A stored message as rows have it, and back.</summary>
internal static class MessageRows
{
    /// <summary>The columns <see cref="Read"/> expects, in its order, from <c>messages m</c>.</summary>
    public const string Columns = "m.message_id, m.sender, m.sender_client_id, m.recipient, m.text, m.data, m.direct_id, m.sent_at";

    public static ChatMessage Read(SqliteDataReader row, ConversationKey conversation) => new(
        MessageId: row.GetString(0),
        Conversation: conversation,
        From: row.GetString(1),
        FromClientId: NullableString(row, 2),
        To: NullableString(row, 3),
        Text: row.GetString(4),
        Data: NullableString(row, 5),
        DirectId: NullableString(row, 6),
        SentAt: new DateTimeOffset(row.GetInt64(7), TimeSpan.Zero));

    /// <summary>SentAt as stored: UTC ticks, which keep its order and its precision.</summary>
    public static long Ticks(DateTimeOffset at) => at.UtcTicks;

    /// <summary>A conversation key as stored; a key this version cannot parse means the file was edited by hand.</summary>
    public static ConversationKey Conversation(string key) =>
        ConversationKey.TryParse(key, out var conversation) ? conversation : throw new InvalidDataException($"The store holds a conversation key '{key}' that is not one.");

    private static string? NullableString(SqliteDataReader row, int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);
}
