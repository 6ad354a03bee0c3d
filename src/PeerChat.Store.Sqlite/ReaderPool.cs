using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// Read-only connections, opened as needed up to a bound and kept for reuse. In WAL mode each read
/// sees the last commit and never waits for the writer, nor makes it wait.
/// </summary>
internal sealed class ReaderPool(string path, int maxReaders) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxReaders, maxReaders);
    private readonly ConcurrentBag<Statements> _idle = [];
    private volatile bool _disposed;

    /// <summary>Runs <paramref name="read"/> in one snapshot (a read transaction) on a connection of its own.</summary>
    public async ValueTask<T> ReadAsync<T>(Func<Statements, T> read, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Statements? reader = null;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            reader = _idle.TryTake(out var idle) ? idle : new Statements(Connections.OpenReadOnly(path));
            reader.Execute("BEGIN");
            try
            {
                return read(reader);
            }
            finally
            {
                reader.Execute("COMMIT");
            }
        }
        catch (SqliteException ex)
        {
            // This connection may be in no state to go on; the next read opens a new one.
            reader?.Dispose();
            reader = null;
            throw new StoreUnavailableException($"The message store cannot be read now ({ex.Message}).", ex);
        }
        finally
        {
            if (reader is not null)
            {
                _idle.Add(reader);
            }

            _slots.Release();
        }
    }

    /// <summary>Waits for the reads under way, then closes every connection.</summary>
    public void Dispose()
    {
        _disposed = true;
        for (var i = 0; i < maxReaders; i++)
        {
            _slots.Wait();
        }

        while (_idle.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }
}
