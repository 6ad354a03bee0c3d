using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// Removes what the settings say is too old (HistoryMaxAge, by SentAt against the settings' clock)
/// or too many (HistoryMaxPerConversation, the oldest first), every RetentionInterval. Each batch of
/// at most RetentionBatch messages is one operation in the writer's queue, so appends are grouped
/// between batches and never wait behind more than one.
/// </summary>
internal sealed class Retention : IAsyncDisposable
{
    private readonly StoreWriter _writer;
    private readonly ReaderPool _readers;
    private readonly MessageStoreSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public Retention(StoreWriter writer, ReaderPool readers, MessageStoreSettings settings)
    {
        _writer = writer;
        _readers = readers;
        _settings = settings;
        _loop = Task.Run(LoopAsync);
    }

    public Action<long>? Passed { get; set; }

    /// <summary>One full pass: every batch until nothing more is due; how many messages it removed.</summary>
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        var batch = _settings.RetentionBatch;
        long removed = 0;
        var cutoff = _settings.TimeProvider.GetUtcNow() - _settings.HistoryMaxAge;
        int last;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = await _writer.Enqueue(w => w.RemoveSentBefore(cutoff, batch)).ConfigureAwait(false);
            removed += last;
        }
        while (last == batch);

        // Found on a reader, so that the writer does not scan the conversations; the writer then
        // counts again in its own transaction before it removes anything.
        var keep = _settings.HistoryMaxPerConversation;
        var over = await _readers.ReadAsync(db => OverLimit(db, keep), cancellationToken).ConfigureAwait(false);
        foreach (var conversation in over)
        {
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                last = await _writer.Enqueue(w => w.TrimConversation(conversation, keep, batch)).ConfigureAwait(false);
                removed += last;
            }
            while (last == batch);
        }

        return removed;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped mid-pass: the next start goes on from there.
        }

        _stop.Dispose();
    }

    private static List<long> OverLimit(Statements db, int keep)
    {
        var ids = new List<long>();
        using var rows = db.Query("SELECT id FROM conversations WHERE message_count > $keep", ("$keep", keep));
        while (rows.Read())
        {
            ids.Add(rows.GetInt64(0));
        }

        return ids;
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            await Task.Delay(_settings.RetentionInterval, _settings.TimeProvider, _stop.Token).ConfigureAwait(false);
            try
            {
                // Not inside Passed?.Invoke(...): with no hook set, that would skip the pass itself.
                var removed = await RunAsync(_stop.Token).ConfigureAwait(false);
                Passed?.Invoke(removed);
            }
            catch (StoreUnavailableException)
            {
                // The disk may be full; the next pass tries again, and its removals are what frees space.
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }
}
