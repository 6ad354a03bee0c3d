using System.Threading.Tasks.Sources;
using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

internal sealed partial class StoreWriter
{
    /// <summary>One caller's work in a group, and how the caller is told once the group is committed (or not).</summary>
    private abstract class WriteOperation
    {
        private Exception? _error;

        public void Execute(StoreWriter writer)
        {
            _error = null;
            try
            {
                Run(writer);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
            {
                // SQLite undid that one statement, and each operation checks before it writes, so
                // this caller fails alone and the rest of the group goes on.
                _error = new ArgumentException($"The store refused it: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is not SqliteException)
            {
                _error = ex;
            }
        }

        /// <summary>Called once the group is committed.</summary>
        public void Complete()
        {
            if (_error is null)
            {
                Succeed();
            }
            else
            {
                Fail(_error);
            }
        }

        public abstract void Fail(Exception error);

        protected abstract void Run(StoreWriter writer);

        protected abstract void Succeed();
    }

    private sealed class WriteOperation<T>(Func<StoreWriter, T> work) : WriteOperation
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;

        public Task<T> Task => _done.Task;

        public override void Fail(Exception error) => _done.TrySetException(error);

        protected override void Run(StoreWriter writer) => _result = work(writer);

        protected override void Succeed() => _done.TrySetResult(_result!);
    }

    /// <summary>
    /// An append, the operation of every message: its own class rather than a delegate and its
    /// closure, and itself what its caller waits for (made once, never reused), rather than a
    /// TaskCompletionSource and its Task beside it for every message.
    /// </summary>
    private sealed class AppendOperation(ChatMessage message, string? queueFor) : WriteOperation, IValueTaskSource
    {
        // Its caller goes on inline, in the group's one work item on the pool (never on the writer
        // thread): a broadcast's receipt is queued there, not from a work item of its own per message.
        private ManualResetValueTaskSourceCore<bool> _done;

        public ValueTask Task => new(this, _done.Version);

        public override void Fail(Exception error) => _done.SetException(error);

        void IValueTaskSource.GetResult(short token) => _done.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _done.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _done.OnCompleted(continuation, state, token, flags);

        protected override void Run(StoreWriter writer) => writer.AppendMessage(message, queueFor);

        protected override void Succeed() => _done.SetResult(true);
    }
}
