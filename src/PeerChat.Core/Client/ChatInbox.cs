namespace PeerChat.Core.Client;

/// <summary>
/// Keeps what a <see cref="ChatClient"/> receives until someone takes it, so that a caller can take
/// only what matches (say, messages from one user) and leave the rest for later.
/// </summary>
/// <remarks>
/// Bounded: a session that only sends (a script announcing builds on a busy server) would
/// otherwise keep every broadcast it never reads, and a peer could fill it without end. Past
/// <see cref="Limit"/> the oldest is dropped and counted, so memory stays bounded, the newest are
/// kept, and the loss is told rather than silent.
/// </remarks>
public sealed class ChatInbox
{
    public const int DefaultLimit = 10_000;

    // A linked list: taking from the middle (a -From filter) and dropping the oldest cost the same
    // whatever the limit.
    private readonly LinkedList<ChatEvent> _items = new();
    private readonly object _lock = new();
    private TaskCompletionSource _arrived = NewSignal();
    private bool _completed;
    private long _dropped;

    /// <summary>Starts collecting everything <paramref name="client"/> receives, keeping at most <paramref name="limit"/>.</summary>
    public ChatInbox(ChatClient client, int limit = DefaultLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        Pump = Task.Run(() => PumpAsync(client));
    }

    /// <summary>The most events kept; past it the oldest is dropped.</summary>
    public int Limit { get; }

    /// <summary>Events dropped unread since the inbox started, because it held <see cref="Limit"/>.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Raised on a background thread for each event as it arrives; a handler must not throw.</summary>
    public event Action<ChatEvent>? Received;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Completes when the connection has ended and everything it received is in the inbox.</summary>
    public Task Pump { get; }

    /// <summary>
    /// Takes up to <paramref name="max"/> events that match, oldest first. With a positive
    /// <paramref name="wait"/> it waits for the first match (or, when <paramref name="waitForAll"/>,
    /// until <paramref name="max"/> have come), until the time passes or the connection ends.
    /// </summary>
    public async Task<IReadOnlyList<ChatEvent>> TakeAsync(Func<ChatEvent, bool> match, int max, TimeSpan wait, bool waitForAll, CancellationToken cancellationToken)
    {
        var taken = new List<ChatEvent>();
        var deadline = wait == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + wait;
        while (true)
        {
            Task arrived;
            bool completed;
            lock (_lock)
            {
                for (var node = _items.First; node is not null && taken.Count < max;)
                {
                    var next = node.Next;
                    if (match(node.Value))
                    {
                        taken.Add(node.Value);
                        _items.Remove(node);
                    }

                    node = next;
                }

                arrived = _arrived.Task;
                completed = _completed;
            }

            var enough = taken.Count >= max || (taken.Count > 0 && !waitForAll);
            var remaining = deadline - DateTime.UtcNow;
            if (enough || completed || remaining <= TimeSpan.Zero)
            {
                return taken;
            }

            try
            {
                await arrived.WaitAsync(deadline == DateTime.MaxValue ? Timeout.InfiniteTimeSpan : remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Take one last look, then return what there is.
            }
            catch (OperationCanceledException)
            {
                // Stopped by the caller (Ctrl+C): put back what was taken, so nothing is lost
                // (unless more came meanwhile than the limit holds: then the oldest go, counted).
                lock (_lock)
                {
                    for (var i = taken.Count - 1; i >= 0; i--)
                    {
                        _items.AddFirst(taken[i]);
                    }

                    DropOldestPast(Limit);
                }

                throw;
            }
        }
    }

    private async Task PumpAsync(ChatClient client)
    {
        await foreach (var chatEvent in client.Events.ReadAllAsync().ConfigureAwait(false))
        {
            if (chatEvent is ChatPresence)
            {
                // Presence is news, not mail: subscribers hear it, the inbox does not keep it.
                RaiseReceived(chatEvent);
                continue;
            }

            TaskCompletionSource signal;
            lock (_lock)
            {
                _items.AddLast(chatEvent);
                DropOldestPast(Limit);
                signal = _arrived;
                _arrived = NewSignal();
            }

            signal.TrySetResult();
            RaiseReceived(chatEvent);
        }

        TaskCompletionSource last;
        lock (_lock)
        {
            _completed = true;
            last = _arrived;
        }

        last.TrySetResult();
    }

    /// <summary>Under the lock: drops the oldest until at most <paramref name="limit"/> are kept, counting them.</summary>
    private void DropOldestPast(int limit)
    {
        while (_items.Count > limit)
        {
            _items.RemoveFirst();
            Interlocked.Increment(ref _dropped);
        }
    }

    private void RaiseReceived(ChatEvent chatEvent)
    {
        try
        {
            Received?.Invoke(chatEvent);
        }
        catch
        {
            // A subscriber's fault must not stop delivery to the inbox.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
