namespace PeerChat.Core.Chat;

/// <summary>What <see cref="MessageStoreCopy.CopyAsync"/> copied.</summary>
public sealed record MessageStoreCopyResult(int Rooms, int Memberships, int Conversations, long Messages, long AlreadyCopied, long Queued, int ReadMarkers);

/// <summary>
/// Copies one message store into another through <see cref="IMessageStore"/> alone (a single server's
/// SQLite file into a cluster's Redis): rooms and members, every conversation's history with its ids,
/// offline queues and read markers. Messages are appended in the order of their SentAt across
/// conversations (each conversation's own order kept), so offline queues, which span conversations,
/// keep their order too. A message already in the target is counted and skipped, so an interrupted
/// copy can be run again. Not copied: a queue's dropped count, and rooms without members (the
/// interface has no way to make one).
/// </summary>
public static class MessageStoreCopy
{
    private const int PageSize = 500;

    // Appends sent before the first is awaited: a store that keeps call order (both do) stores
    // them in that order, and a remote one is not waited for once per message.
    private const int AppendsInFlight = 256;

    /// <summary>Copies <paramref name="source"/> into <paramref name="target"/>; <paramref name="users"/> are the accounts whose queues, direct conversations and markers to copy.</summary>
    public static async Task<MessageStoreCopyResult> CopyAsync(IMessageStore source, IMessageStore target, IReadOnlyCollection<string> users, Action<long>? copied = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(users);

        var rooms = await source.ReadRoomsAsync(cancellationToken).ConfigureAwait(false);
        var memberships = 0;
        foreach (var room in rooms)
        {
            foreach (var member in room.Members)
            {
                await target.AddMemberAsync(room.Room, member, cancellationToken).ConfigureAwait(false);
                memberships++;
            }
        }

        // Which messages are queued for whom, and every user's markers and direct conversations.
        var queuedFor = new Dictionary<(string Conversation, string MessageId), string>();
        var markers = new List<(string User, ConversationKey Conversation, string MessageId)>();
        var roomKeys = rooms.Select(r => ConversationKey.ForRoom(r.Room)).ToList();
        var conversations = new List<ConversationKey> { ConversationKey.Everyone };
        conversations.AddRange(roomKeys);
        var known = conversations.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var user in users)
        {
            var queue = await source.ReadOfflineAsync(user, int.MaxValue, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var message in queue.Messages)
            {
                queuedFor[(message.Conversation.Id, message.MessageId)] = user;
            }

            foreach (var summary in await source.SummarizeAsync(user, [ConversationKey.Everyone, .. roomKeys], cancellationToken).ConfigureAwait(false))
            {
                if (known.Add(summary.Conversation.Id))
                {
                    conversations.Add(summary.Conversation);
                }

                if (summary.ReadUpTo is { } readUpTo)
                {
                    markers.Add((user, summary.Conversation, readUpTo));
                }
            }
        }

        var (messages, already, queued) = await CopyMessagesAsync(source, target, conversations, queuedFor, copied, cancellationToken).ConfigureAwait(false);
        foreach (var (user, conversation, messageId) in markers)
        {
            await target.MarkReadAsync(user, conversation, messageId, cancellationToken).ConfigureAwait(false);
        }

        return new MessageStoreCopyResult(rooms.Count, memberships, conversations.Count, messages, already, queued, markers.Count);
    }

    private static async Task<(long Messages, long Already, long Queued)> CopyMessagesAsync(
        IMessageStore source, IMessageStore target, List<ConversationKey> conversations,
        Dictionary<(string, string), string> queuedFor, Action<long>? copied, CancellationToken cancellationToken)
    {
        // A k-way merge by SentAt over one page of each conversation at a time.
        var readers = new List<ConversationReader>();
        var next = new PriorityQueue<ConversationReader, (DateTimeOffset, int)>();
        foreach (var conversation in conversations)
        {
            var reader = new ConversationReader(source, conversation, readers.Count);
            readers.Add(reader);
            if (await reader.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                next.Enqueue(reader, (reader.Current.SentAt, reader.Index));
            }
        }

        var total = new Counts();
        var inFlight = new List<(Task Append, bool Queued)>(AppendsInFlight);
        while (next.TryDequeue(out var reader, out _))
        {
            var message = reader.Current;
            var queueFor = queuedFor.GetValueOrDefault((message.Conversation.Id, message.MessageId));
            inFlight.Add((target.AppendAsync(message, queueFor, cancellationToken).AsTask(), queueFor is not null));
            if (inFlight.Count == AppendsInFlight)
            {
                await total.AwaitAllAsync(inFlight).ConfigureAwait(false);
                copied?.Invoke(total.Messages + total.Already);
            }

            if (await reader.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                next.Enqueue(reader, (reader.Current.SentAt, reader.Index));
            }
        }

        await total.AwaitAllAsync(inFlight).ConfigureAwait(false);
        copied?.Invoke(total.Messages + total.Already);
        return (total.Messages, total.Already, total.Queued);
    }

    private sealed class Counts
    {
        public long Messages;
        public long Already;
        public long Queued;

        /// <summary>Awaits every append sent; a message the target holds already counts as such (a copy run again).</summary>
        public async Task AwaitAllAsync(List<(Task Append, bool Queued)> appends)
        {
            foreach (var (append, queued) in appends)
            {
                try
                {
                    await append.ConfigureAwait(false);
                    Messages++;
                    Queued += queued ? 1 : 0;
                }
                catch (ArgumentException)
                {
                    Already++;
                }
            }

            appends.Clear();
        }
    }

    /// <summary>One conversation's history, oldest first, a page at a time.</summary>
    private sealed class ConversationReader(IMessageStore store, ConversationKey conversation, int index)
    {
        private IReadOnlyList<ChatMessage> _page = [];
        private int _position = -1;
        private bool _complete;

        public int Index => index;

        public ChatMessage Current => _page[_position];

        public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            if (++_position < _page.Count)
            {
                return true;
            }

            if (_complete)
            {
                return false;
            }

            // From the oldest message (Since the beginning), then after the last one read.
            var query = _page.Count == 0 ? new HistoryQuery(PageSize, Since: DateTimeOffset.MinValue) : new HistoryQuery(PageSize, After: _page[^1].MessageId);
            var page = await store.ReadHistoryAsync(conversation, query, cancellationToken).ConfigureAwait(false);
            _complete = page.Complete;
            _page = page.Messages;
            _position = 0;
            return _page.Count > 0;
        }
    }
}
