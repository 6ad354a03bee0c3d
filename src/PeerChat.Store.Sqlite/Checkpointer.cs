using Microsoft.Data.Sqlite;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// Copies the WAL back into the database file on a connection and thread of its own, so that the
/// writer's commits do not include a checkpoint (its copying and its fsync of the database file),
/// except when the WAL has grown large (<see cref="WalLarge"/>). PASSIVE: it never waits for the
/// writer or a reader, and takes what it can; a later one takes the rest.
/// </summary>
internal sealed class Checkpointer : IDisposable
{
    // Checkpointing after every group would copy the same hot pages over and over.
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);

    // Past this many frames (about 32 MiB of 4 KiB pages) the writer is asked to finish the
    // checkpoint itself (WalLarge), between two groups. The WAL starts over from its beginning only
    // when a write begins with every frame checkpointed, which a checkpoint from this connection
    // never sees under sustained load: the writer has always added frames since. The WAL then grew
    // with every commit for as long as the load lasted (about 900 MB in 20 s of 50-pair ping-pong).
    // Half the journal_size_limit (64 MiB), so that what the writer adds until this loop next looks
    // (up to MinInterval and a checkpoint) still fits under it, and the file is reused, not cut back.
    public const long DefaultLargeWalFrames = 8192;

    private readonly SemaphoreSlim _nudged = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Statements _db;
    private readonly Task _loop;
    private bool _walLarge;

    /// <summary>How many WAL frames make the WAL large; lower only in tests, to reach it with little data.</summary>
    public long LargeWalFrames { get; set; } = DefaultLargeWalFrames;

    public Checkpointer(string path)
    {
        _db = new Statements(Connections.OpenCheckpointer(path));
        _loop = Task.Factory.StartNew(Loop, TaskCreationOptions.LongRunning);
    }

    /// <summary>The WAL has grown to <see cref="LargeWalFrames"/>: the writer should checkpoint once itself (<see cref="CatchUp"/>).</summary>
    public bool WalLarge => Volatile.Read(ref _walLarge);

    /// <summary>How many times the writer checkpointed (<see cref="CatchUp"/>), and the Stopwatch ticks it spent there, for the benchmark.</summary>
    public long CatchUps { get; private set; }

    public long CatchUpTicks { get; private set; }

    /// <summary>
    /// Called by the writer between groups, when <see cref="WalLarge"/>: a passive checkpoint on
    /// its own connection, which no write can overtake, so that it takes every frame and the next
    /// group's write starts the WAL over. A read under way at that write keeps the WAL going on
    /// instead (SQLite starts it over only with no reader in it); this loop then asks again.
    /// </summary>
    public void CatchUp(SqliteConnection writer)
    {
        Volatile.Write(ref _walLarge, false);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        // Raw, not a command: it returns a code and throws nothing, and busy (this loop's checkpoint
        // is under way) is an answer, not something to wait out.
        SQLitePCL.raw.sqlite3_wal_checkpoint_v2(writer.Handle, null, SQLitePCL.raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
        CatchUpTicks += System.Diagnostics.Stopwatch.GetTimestamp() - started;
        CatchUps++;
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
                    using var result = _db.Query("PRAGMA wal_checkpoint(PASSIVE)");
                    if (result.Read() && result.GetInt64(1) >= LargeWalFrames)
                    {
                        Volatile.Write(ref _walLarge, true);
                    }
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
