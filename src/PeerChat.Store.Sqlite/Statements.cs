using Microsoft.Data.Sqlite;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// One connection and its statements, each prepared once and run again with new values: the
/// writer runs the same few statements tens of thousands of times a second. Not thread-safe: a
/// connection is used by one thread at a time. Transactions are plain BEGIN/COMMIT statements, so
/// that commands need no transaction object.
/// </summary>
internal sealed class Statements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RawStatement> _raw = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    /// <summary>Whether the connection is outside a transaction (SQLite may end one itself after an error).</summary>
    public bool InAutocommit => SQLitePCL.raw.sqlite3_get_autocommit(Connection.Handle) != 0;

    public SqliteCommand Bind(string sql, params ReadOnlySpan<(string Name, object? Value)> values)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }

        foreach (var (name, value) in values)
        {
            var parameter = command.Parameters.Contains(name) ? command.Parameters[name] : command.Parameters.Add(new SqliteParameter { ParameterName = name });
            parameter.Value = value ?? DBNull.Value;
        }

        return command;
    }

    /// <summary>A statement for the hot path (<see cref="RawStatement"/>), prepared once.</summary>
    public RawStatement Raw(string sql)
    {
        if (!_raw.TryGetValue(sql, out var statement))
        {
            statement = new RawStatement(Connection, sql);
            _raw[sql] = statement;
        }

        return statement;
    }

    public int Execute(string sql, params ReadOnlySpan<(string Name, object? Value)> values) => Bind(sql, values).ExecuteNonQuery();

    /// <summary>The first column of the first row, or null when there is none.</summary>
    public object? Scalar(string sql, params ReadOnlySpan<(string Name, object? Value)> values) =>
        Bind(sql, values).ExecuteScalar() is var value && value is DBNull ? null : value;

    public SqliteDataReader Query(string sql, params ReadOnlySpan<(string Name, object? Value)> values) => Bind(sql, values).ExecuteReader();

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        foreach (var statement in _raw.Values)
        {
            statement.Dispose();
        }

        _commands.Clear();
        _raw.Clear();
        Connection.Dispose();
    }
}
