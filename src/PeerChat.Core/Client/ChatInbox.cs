namespace PeerChat.Core.Client;

/// <summary>
/// Keeps what a <see cref="ChatClient"/> receives until someone takes it, so that a caller can take
/// only what matches (say, messages from one user) and leave the rest for later.
/// </summary>
/// <remarks>
/// Bounded: a session that only sends (a script announcing builds on a busy server) would
/// otherwise keep every broadcast it never reads, and a peer could fill it without end. Past
/// <see cref="Limit"/> events, or <see cref="LimitBytes"/> of them, the oldest is dropped and
/// counted, so memory stays bounded, the newest are kept, and the loss is told rather than silent.
/// The bound in bytes matters because a count alone is not one: 10,000 direct messages of 64 KB
/// held 1.4 GB.
/// </remarks>
public sealed class ChatInbox
{
    public const int DefaultLimit = 10_000;

    /// <summary>64 MiB: a thousand of the largest messages, hundreds of thousands of ordinary ones.</summary>
    public const long DefaultLimitBytes = 64L * 1024 * 1024;

    // The most events taken from the source before offline ones among them are confirmed.
    private const int ConfirmBatch = 256;

    // What an event costs besides its strings and data: the record, its node, the strings' headers.
    private const int EventOverheadBytes = 256;

    // A linked list: taking from the middle (a -From filter) and dropping the oldest cost the same
    // whatever the limit.
    private readonly LinkedList<ChatEvent> _items = new();
    private readonly object _lock = new();
    private TaskCompletionSource _arrived = NewSignal();
    private readonly Func<string, CancellationToken, Task>? _confirmOffline;

    // Offline messages come again after a login whose confirmation was lost, and a relayed direct
    // message may come live and then queued: each is kept once.
    private readonly RecentMessageIds _offlineSeen = new();
    private bool _completed;
    private long _dropped;
    private long _duplicates;
    private long _bytes;

    /// <summary>
    /// Starts collecting everything <paramref name="client"/> receives, keeping at most
    /// <paramref name="limit"/> events and <paramref name="limitBytes"/> of them (as estimated by <see cref="SizeOf"/>).
    /// </summary>
    public ChatInbox(ChatClient client, int limit = DefaultLimit, long limitBytes = DefaultLimitBytes)
        : this(client.Events, limit, limitBytes, client.ConfirmReceivedAsync)
    {
    }

    /// <summary>
    /// Collects from any source of events, such as a <see cref="ReconnectingChatClient"/>'s, which
    /// outlives each connection: the inbox completes only when <paramref name="events"/> does.
    /// <paramref name="confirmOffline"/> tells the server that offline messages up to an id are kept
    /// (<see cref="ChatClient.ConfirmReceivedAsync"/>); it is called only once they are in the inbox,
    /// so a connection lost before then brings them again.
    /// </summary>
    public ChatInbox(System.Threading.Channels.ChannelReader<ChatEvent> events, int limit = DefaultLimit, long limitBytes = DefaultLimitBytes, Func<string, CancellationToken, Task>? confirmOffline = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(limitBytes, 1);
        Limit = limit;
        LimitBytes = limitBytes;
        _confirmOffline = confirmOffline;
        Pump = Task.Run(() => PumpAsync(events));
    }

    /// <summary>The most events kept; past it the oldest is dropped.</summary>
    public int Limit { get; }

    /// <summary>The most memory the kept events may hold (an estimate); past it the oldest are dropped, though the newest is always kept.</summary>
    public long LimitBytes { get; }

    /// <summary>The memory the kept events hold, as estimated by <see cref="SizeOf"/>.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Events dropped unread since the inbox started, because it held <see cref="Limit"/>.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Offline (or relayed direct) messages that came again and were left out, since the session already had them.</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

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
                        _bytes -= SizeOf(node.Value);
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
                        _bytes += SizeOf(taken[i]);
                    }

                    DropOldestPastLimits();
                }

                throw;
            }
        }
    }

    private async Task PumpAsync(System.Threading.Channels.ChannelReader<ChatEvent> events)
    {
        while (await events.WaitToReadAsync().ConfigureAwait(false))
        {
            // What is already here is taken as one batch, so that the queue a login brings (up to
            // a thousand) is confirmed with a frame or a few, not one for each message.
            string? confirmUpTo = null;
            for (var n = 0; n < ConfirmBatch && events.TryRead(out var chatEvent); n++)
            {
                // A direct message the server relays to a user who logs in at that moment may come
                // live and then again from the queue: both kinds are remembered, by the server's id.
                if (chatEvent is ChatMessage { Offline: true } or ChatMessage { Kind: MessageKind.Direct, Route: MessageRoute.Relay })
                {
                    var message = (ChatMessage)chatEvent;
                    if (message.Offline)
                    {
                        // Confirmed even when left out: the server must stop sending it again.
                        confirmUpTo = message.MessageId;
                    }

                    if (!_offlineSeen.TryRecord(message.MessageId))
                    {
                        Interlocked.Increment(ref _duplicates);
                        continue;
                    }
                }

                Keep(chatEvent);
            }

            if (confirmUpTo is not null)
            {
                Confirm(confirmUpTo);
            }
        }

        TaskCompletionSource last;
        lock (_lock)
        {
            _completed = true;
            last = _arrived;
        }

        last.TrySetResult();
    }

    private void Keep(ChatEvent chatEvent)
    {
        if (chatEvent is ChatPresence)
        {
            // Presence is news, not mail: subscribers hear it, the inbox does not keep it.
            RaiseReceived(chatEvent);
            return;
        }

        TaskCompletionSource signal;
        lock (_lock)
        {
            _items.AddLast(chatEvent);
            _bytes += SizeOf(chatEvent);
            DropOldestPastLimits();
            signal = _arrived;
            _arrived = NewSignal();
        }

        signal.TrySetResult();
        RaiseReceived(chatEvent);
    }

    /// <summary>Not awaited: a slow or lost connection must not hold up the inbox, and a lost confirmation only brings the messages again.</summary>
    private void Confirm(string upTo)
    {
        if (_confirmOffline is not { } confirm)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await confirm(upTo, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                // The connection is gone: the next login sends them again, and they are left out here.
            }
        });
    }

    /// <summary>
    /// An estimate of the memory an event holds: its strings (UTF-16, two bytes a character), its
    /// <c>data</c> (the JSON bytes, and as much again for the parsed document's index), and a fixed
    /// overhead. Close enough to bound memory; not an exact count.
    /// </summary>
    public static long SizeOf(ChatEvent chatEvent) => EventOverheadBytes + chatEvent switch
    {
        ChatMessage m => (2L * (m.Text.Length + m.From.Length + m.MessageId.Length + (m.To?.Length ?? 0) + (m.FromClientId?.Length ?? 0) + (m.Room?.Length ?? 0)))
            + (m.Data is { } data ? 2L * System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(data).Length : 0),
        ChatNotice n => 2L * (n.Code.Length + n.Message.Length),
        _ => 0,
    };

    /// <summary>Under the lock: drops the oldest until both limits hold (the newest always stays), counting them.</summary>
    private void DropOldestPastLimits()
    {
        while (_items.Count > Limit || (_items.Count > 1 && _bytes > LimitBytes))
        {
            _bytes -= SizeOf(_items.First!.Value);
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
