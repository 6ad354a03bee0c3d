using Microsoft.Data.Sqlite;

namespace PeerChat.Store.Sqlite;

/// <summary>How the store's connections are opened, and a few one-line helpers for them.</summary>
internal static class Connections
{
    /// <summary>
    /// A connection that cannot write: to look at a file before deciding to use it, and for the
    /// readers (WAL lets them read a snapshot while the writer commits).
    /// </summary>
    public static SqliteConnection OpenReadOnly(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadOnly,

            // Pooled connections stay open after Dispose; the store decides when its file is closed.
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>
    /// The one connection that writes. synchronous=FULL: a commit is on disk (WAL fsynced) when it
    /// returns, so an acknowledged message survives kill -9 and power loss.
    /// </summary>
    public static SqliteConnection OpenWriter(string path, long? maxSizeBytes)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        connection.Open();
        try
        {
            var mode = Scalar<string>(connection, "PRAGMA journal_mode = WAL");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite would not put '{path}' in WAL mode (it answered '{mode}').");
            }

            Execute(connection, "PRAGMA synchronous = FULL");

            // The Checkpointer does it on its own connection, outside the writer's commits (the
            // writer checkpoints only when the WAL has grown large: Checkpointer.WalLarge).
            Execute(connection, "PRAGMA wal_autocheckpoint = 0");

            // The WAL file is cut back to this when it starts over, so that a burst does not leave it large.
            Execute(connection, "PRAGMA journal_size_limit = 67108864");
            if (maxSizeBytes is { } max)
            {
                var pageSize = Scalar<long>(connection, "PRAGMA page_size");
                Execute(connection, $"PRAGMA max_page_count = {Math.Max(1, max / pageSize)}");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The connection that only checkpoints (<see cref="Checkpointer"/>); FULL, so that the database file is fsynced before the WAL is reused.</summary>
    public static SqliteConnection OpenCheckpointer(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA synchronous = FULL");
        Execute(connection, "PRAGMA journal_size_limit = 67108864");
        return connection;
    }

    public static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is null or DBNull ? default! : (T)Convert.ChangeType(value, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>A command prepared once and run many times with new values (the writer's statements).</summary>
    public static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        return command;
    }

    /// <summary>Whether an error means the store cannot write now (disk or cap full, I/O), rather than a fault in what was asked.</summary>
    public static bool IsUnavailable(SqliteException ex) =>
        ex.SqliteErrorCode is SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_CANTOPEN
            or SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED or SQLitePCL.raw.SQLITE_READONLY or SQLitePCL.raw.SQLITE_PROTOCOL;
}
