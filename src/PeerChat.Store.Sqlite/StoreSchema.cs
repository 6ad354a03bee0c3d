using Microsoft.Data.Sqlite;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// The tables of a message store file, and how a file is recognised as one. Message order in a
/// conversation is <c>messages.seq</c> (the rowid, so appends go to the end of every b-tree); names
/// and conversation keys are stored in lower case, as <c>ConversationKey.Id</c> spells them.
/// </summary>
internal static class StoreSchema
{
    /// <summary>PRAGMA application_id of PeerChat's stores: "PCht" in ASCII.</summary>
    public const int ApplicationId = 0x50436874;

    /// <summary>PRAGMA user_version: the version of the tables below. A later change adds a migration from each older one.</summary>
    public const int Version = 1;

    public static readonly string[] Tables = ["conversations", "messages", "offline_queue", "offline_users", "rooms", "room_members", "read_markers"];

    // messages.sent_at is in UTC ticks. conversations.message_count is kept by the writer, so that
    // retention by count finds the conversations over the limit without counting them.
    // offline_by_message removes the queue entries of a message that retention removes. No index on
    // sent_at: retention by age walks seq from the oldest end, and one index less makes each commit
    // write fewer pages (measured: a quarter less time per commit).
    private const string Create = """
        CREATE TABLE conversations(
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            first_user TEXT,
            second_user TEXT,
            message_count INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX conversations_by_first ON conversations(first_user) WHERE first_user IS NOT NULL;
        CREATE INDEX conversations_by_second ON conversations(second_user) WHERE second_user IS NOT NULL;
        CREATE TABLE messages(
            seq INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            sender TEXT NOT NULL,
            sender_client_id TEXT,
            recipient TEXT,
            text TEXT NOT NULL,
            data TEXT,
            direct_id TEXT,
            sent_at INTEGER NOT NULL);
        CREATE INDEX messages_by_conversation ON messages(conversation_id, seq);
        CREATE TABLE offline_queue(
            id INTEGER PRIMARY KEY,
            user TEXT NOT NULL,
            message_seq INTEGER NOT NULL);
        CREATE INDEX offline_by_user ON offline_queue(user, id);
        CREATE INDEX offline_by_message ON offline_queue(message_seq);
        CREATE TABLE offline_users(
            user TEXT PRIMARY KEY,
            queued INTEGER NOT NULL,
            dropped INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE rooms(
            key TEXT PRIMARY KEY,
            name TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE room_members(
            room TEXT NOT NULL,
            user TEXT NOT NULL,
            PRIMARY KEY(room, user)) WITHOUT ROWID;
        CREATE TABLE read_markers(
            user TEXT NOT NULL,
            conversation TEXT NOT NULL,
            message_seq INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            PRIMARY KEY(user, conversation)) WITHOUT ROWID;
        """;

    private static ReadOnlySpan<byte> SqliteMagic => "SQLite format 3\0"u8;

    /// <summary>
    /// Decides, without writing anything, whether <paramref name="path"/> may be opened as a store:
    /// true when it holds PeerChat's tables, false when it is new (missing, empty, or a database
    /// with nothing in it, as a crash during creation leaves it). Anything else throws
    /// <see cref="PeerChat.Core.Chat.MessageStoreFormatException"/>.
    /// </summary>
    public static bool Inspect(string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length == 0)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[16];
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !header.SequenceEqual(SqliteMagic))
            {
                throw Format(path, "it is not a SQLite database.");
            }
        }

        try
        {
            using var connection = Connections.OpenReadOnly(path);
            var applicationId = Connections.Scalar<long>(connection, "PRAGMA application_id");
            var version = Connections.Scalar<long>(connection, "PRAGMA user_version");
            var objects = Connections.Scalar<long>(connection, "SELECT count(*) FROM sqlite_master");
            if (applicationId == 0 && version == 0 && objects == 0)
            {
                return false;
            }

            if (applicationId != ApplicationId)
            {
                throw Format(path, $"it is a database of another application (application_id {applicationId}, {objects} objects in its schema), not a PeerChat message store.");
            }

            if (version > Version)
            {
                throw Format(path, $"it was written by a newer PeerChat (store version {version}; this one reads up to {Version}).");
            }

            var missing = Tables.Where(table => Connections.Scalar<long>(connection, $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'") == 0).ToList();
            if (version != Version || missing.Count > 0)
            {
                throw Format(path, $"it is marked as a PeerChat store (version {version}) but lacks the tables {string.Join(", ", missing)}.");
            }

            var check = Connections.Scalar<string>(connection, "PRAGMA quick_check(1)");
            if (check != "ok")
            {
                throw Format(path, $"it is damaged (quick_check: {check}); restore it from a backup, or move it aside to start with an empty store.");
            }

            return true;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SQLitePCL.raw.SQLITE_CORRUPT or SQLitePCL.raw.SQLITE_NOTADB)
        {
            throw Format(path, $"it is damaged ({ex.Message}); restore it from a backup, or move it aside to start with an empty store.", ex);
        }
    }

    /// <summary>Creates the tables and marks the file as PeerChat's, in one transaction: a crash leaves either a store or an empty database.</summary>
    public static void CreateIn(SqliteConnection connection)
    {
        Connections.Execute(connection, "BEGIN IMMEDIATE");
        Connections.Execute(connection, Create);
        Connections.Execute(connection, $"PRAGMA application_id = {ApplicationId}");
        Connections.Execute(connection, $"PRAGMA user_version = {Version}");
        Connections.Execute(connection, "COMMIT");
    }

    private static PeerChat.Core.Chat.MessageStoreFormatException Format(string path, string reason, Exception? inner = null) =>
        new(path, reason, inner);
}
