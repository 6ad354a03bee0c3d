using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// The one writer of a store file: a thread of its own that takes every operation waiting, runs
/// them in one transaction, commits (one fsync for the group), and only then completes each
/// caller's task. A group that cannot be written (disk or size cap full, I/O error) fails every
/// caller in it with <see cref="StoreUnavailableException"/> and is rolled back whole; the next
/// group starts clean, so writing resumes by itself once space returns.
/// </summary>
internal sealed partial class StoreWriter : IDisposable
{
    // A bound on one transaction's work, so that a burst is committed in steps the WAL can absorb.
    private const int MaxGroup = 8192;

    // Under load (the group just committed held at least LingerAfter operations) the writer waits
    // a moment before taking the next group, so that more operations share one commit: a commit
    // (its fsync, its WAL pages) costs as much CPU as some tens of appends, and a group is
    // otherwise only what arrived during the commit before it. Measured at 50-receiver fan-out:
    // groups of 95 instead of 70. A lone operation is never held: its latency stays one commit.
    private const int LingerAfter = 8;
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(1);

    private readonly Channel<WriteOperation> _pending = Channel.CreateUnbounded<WriteOperation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _path;
    private readonly long? _maxSizeBytes;
    private readonly Thread _thread;
    private readonly Checkpointer _checkpointer;
    private Statements _db;
    private RawStatement? _insertMessage;
    private RawStatement? _addToMessageCount;

    // Committed groups whose callers are still being told, plus one held by the writer thread
    // while it runs: Stopped completes when both are done.
    private int _unfinished = 1;

    public StoreWriter(string path, MessageStoreSettings settings, SqliteConnection connection)
    {
        _path = path;
        _maxSizeBytes = settings.MaxSizeBytes;
        _settings = settings;
        _db = new Statements(connection);
        _checkpointer = new Checkpointer(path);
        _thread = new Thread(Run) { IsBackground = true, Name = "PeerChat message store writer" };
        _thread.Start();
    }

    /// <summary>The store's checkpointer (for tests).</summary>
    public Checkpointer Checkpointer => _checkpointer;

    /// <summary>How many groups were committed and how many operations they held (for the benchmark).</summary>
    public long GroupsCommitted { get; private set; }

    public long OperationsCommitted { get; private set; }

    /// <summary>Stopwatch ticks the writer spent running operations, and in COMMIT (the fsync), for the benchmark.</summary>
    public long WorkTicks { get; private set; }

    public long CommitTicks { get; private set; }

    /// <summary>Queues <paramref name="work"/> for the next group; its task completes after that group's commit.</summary>
    public Task<T> Enqueue<T>(Func<StoreWriter, T> work) => Enqueue(new WriteOperation<T>(work)).Task;

    /// <summary>Queues an append (the hot path: no delegate, no result) for the next group; completes after that group's commit.</summary>
    public ValueTask Append(ChatMessage message, string? queueFor) => Enqueue(new AppendOperation(message, queueFor)).Task;

    /// <summary>Completes when the writer has run every operation queued before <see cref="Complete"/> and told their callers.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>No more operations: the writer finishes those queued and stops.</summary>
    public void Complete() => _pending.Writer.TryComplete();

    public void Dispose()
    {
        Complete();
        _thread.Join();
        _checkpointer.Dispose();
        _db.Dispose();
    }

    private void Run()
    {
        var group = new List<WriteOperation>();
        try
        {
            // A thread of its own, blocking: every step here is a synchronous SQLite call or an fsync.
            while (_pending.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                if (group.Count >= LingerAfter)
                {
                    Thread.Sleep(Linger);
                }

                group.Clear();
                while (group.Count < MaxGroup && _pending.Reader.TryRead(out var operation))
                {
                    group.Add(operation);
                }

                if (_checkpointer.WalLarge)
                {
                    _checkpointer.CatchUp(_db.Connection);
                }

                RunGroup(group);
            }
        }
        finally
        {
            Finished();
        }
    }

    private T Enqueue<T>(T operation)
        where T : WriteOperation
    {
        if (!_pending.Writer.TryWrite(operation))
        {
            throw new ObjectDisposedException(nameof(SqliteMessageStore), "The message store is closed.");
        }

        return operation;
    }

    private void Finished()
    {
        if (Interlocked.Decrement(ref _unfinished) == 0)
        {
            _stopped.TrySetResult();
        }
    }

    // When a group cannot be committed, each of its operations is tried again alone: those that
    // free space (retention, a confirmed queue) then go through even while appends find the store
    // full, and one failing operation does not take the others with it.
    private void RunGroup(List<WriteOperation> group)
    {
        if (TryCommit(group) is not { } failure)
        {
            return;
        }

        if (group.Count == 1)
        {
            FailOnPool(group[0], new StoreUnavailableException(Describe(failure), failure));
            return;
        }

        foreach (var operation in group)
        {
            if (TryCommit([operation]) is { } alone)
            {
                FailOnPool(operation, new StoreUnavailableException(Describe(alone), alone));
            }
        }
    }

    // A caller goes on where it is told (an append's inline), so a failure found on this thread is
    // told from the pool; counted like a committed group's, so that Stopped waits for it.
    private void FailOnPool(WriteOperation operation, Exception error)
    {
        Interlocked.Increment(ref _unfinished);
        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                try
                {
                    state.operation.Fail(state.error);
                }
                finally
                {
                    state.writer.Finished();
                }
            },
            (writer: this, operation, error),
            preferLocal: false);
    }

    /// <summary>Runs <paramref name="operations"/> in one transaction and completes them; on failure rolls back and returns why, the operations still pending.</summary>
    private Exception? TryCommit(List<WriteOperation> operations)
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            _db.Execute("BEGIN IMMEDIATE");
            foreach (var operation in operations)
            {
                operation.Execute(this);
            }

            FlushCounts();
            var committing = System.Diagnostics.Stopwatch.GetTimestamp();
            _db.Execute("COMMIT");
            WorkTicks += committing - started;
            CommitTicks += System.Diagnostics.Stopwatch.GetTimestamp() - committing;
        }
        catch (Exception ex)
        {
            // Not only SqliteException: whatever stops a group must not stop the writer thread.
            RollBack();
            return ex;
        }

        GroupCommitted();
        _checkpointer.Nudge();
        GroupsCommitted++;
        OperationsCommitted += operations.Count;

        // The callers are told on the thread pool, in one work item for the whole group, so that
        // the writer goes on to the next group at once, the pool is woken once rather than per
        // operation, and a connection's receipts come out together (one write rather than one each).
        Interlocked.Increment(ref _unfinished);
        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                var (writer, committed) = state;
                try
                {
                    CompleteFrom(committed, 0);
                }
                finally
                {
                    writer.Finished();
                }
            },
            (this, operations.ToArray()),
            preferLocal: false);
        return null;
    }

    /// <summary>
    /// Tells each caller from <paramref name="first"/> on that its operation is committed. An
    /// append's caller goes on inline here: should its code throw, the callers after it are still
    /// told (on this same work item, never the writer thread) before the fault goes on.
    /// </summary>
    private static void CompleteFrom(WriteOperation[] operations, int first)
    {
        for (var k = first; k < operations.Length; k++)
        {
            try
            {
                operations[k].Complete();
            }
            catch
            {
                CompleteFrom(operations, k + 1);
                throw;
            }
        }
    }

    private void RollBack()
    {
        ForgetGroup();
        try
        {
            if (!_db.InAutocommit)
            {
                _db.Execute("ROLLBACK");
            }
        }
        catch (SqliteException)
        {
            // The connection is in no state to go on: the next group gets a new one.
            Reopen();
        }
    }

    private void Reopen()
    {
        try
        {
            var connection = Connections.OpenWriter(_path, _maxSizeBytes);
            _db.Dispose();
            _db = new Statements(connection);
            _insertMessage = null;
            _addToMessageCount = null;
        }
        catch (SqliteException)
        {
            // Still failing: this connection stays, and the next group tries again.
        }
    }

    private static string Describe(Exception cause) => cause is SqliteException { SqliteErrorCode: SQLitePCL.raw.SQLITE_FULL }
        ? "The message store is full (its size cap or the disk): nothing was stored. Writing resumes when space is freed."
        : $"The message store cannot write now ({cause.Message}): nothing was stored.";
}
