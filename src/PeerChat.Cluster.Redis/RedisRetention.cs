using PeerChat.Core.Chat;

namespace PeerChat.Cluster.Redis;

/// <summary>
/// Removes what the settings say is too old or too many, every RetentionInterval, as the SQLite
/// store's Retention does: per conversation, in batches of at most RetentionBatch, each one script,
/// so that appends are never held up behind more than one batch. Every node of a cluster may run it
/// at once: a batch is atomic and removes nothing twice.
/// </summary>
internal sealed class RedisRetention : IAsyncDisposable
{
    private readonly RedisMessageStore _store;
    private readonly MessageStoreSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RedisRetention(RedisMessageStore store, MessageStoreSettings settings)
    {
        _store = store;
        _settings = settings;
        _loop = Task.Run(LoopAsync);
    }

    public Action<long>? Passed { get; set; }

    /// <summary>One full pass: every batch until nothing more is due; how many messages it removed.</summary>
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        var batch = _settings.RetentionBatch;
        var keep = _settings.HistoryMaxPerConversation;
        var cutoff = _settings.TimeProvider.GetUtcNow() - _settings.HistoryMaxAge;
        long removed = 0;
        foreach (var conversation in await _store.ConversationsAsync(cancellationToken).ConfigureAwait(false))
        {
            int last;
            do
            {
                last = await _store.RemoveSentBeforeAsync(conversation, cutoff, batch, cancellationToken).ConfigureAwait(false);
                removed += last;
            }
            while (last == batch);

            do
            {
                last = await _store.TrimAsync(conversation, keep, batch, cancellationToken).ConfigureAwait(false);
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
            // Stopped mid-pass: the next start, here or on another node, goes on from there.
        }

        _stop.Dispose();
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
                // Redis is away; the next pass tries again.
            }
        }
    }
}
