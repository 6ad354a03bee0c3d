using Microsoft.Data.Sqlite;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// Copies the WAL back into the database file on a connection and thread of its own, so that the
/// writer's commits never include a checkpoint (its copying and its fsync of the database file).
/// PASSIVE: it never waits for the writer or a reader, and takes what it can; a later one takes the rest.
/// </summary>
internal sealed class Checkpointer : IDisposable
{
    // Checkpointing after every group would copy the same hot pages over and over.
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim _nudged = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Statements _db;
    private readonly Task _loop;

    public Checkpointer(string path)
    {
        _db = new Statements(Connections.OpenCheckpointer(path));
        _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning);
    }

    /// <summary>Called by the writer after a commit: there is WAL to fold back.</summary>
    public void Nudge()
    {
        if (_nudged.CurrentCount == 0)
        {
            try
            {
                _nudged.Release();
            }
            catch (SemaphoreFullException)
            {
                // Nudged by the writer twice at once: once is enough.
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait();
        _db.Dispose();
        _stop.Dispose();
        _nudged.Dispose();
    }

    private void Loop()
    {
        try
        {
            while (true)
            {
                _nudged.Wait(_stop.Token);
                try
                {
                    _db.Execute("PRAGMA wal_checkpoint(PASSIVE)");
                }
                catch (SqliteException)
                {
                    // Busy or out of space: the writer's next commit nudges again.
                }

                _stop.Token.WaitHandle.WaitOne(MinInterval);
            }
        }
        catch (OperationCanceledException)
        {
            // Closing: the writer's connection, closed last, checkpoints what is left.
        }
    }
}
