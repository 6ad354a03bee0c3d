using PeerChat.Core.Chat;

namespace PeerChat.Core.Irc;

/// <summary>Messages a CHATHISTORY command returns, oldest first, or why none.</summary>
public sealed record ChatHistoryAnswer(ChatError Error, IReadOnlyList<ChatMessage> Messages)
{
    public static ChatHistoryAnswer Failed(ChatError error) => new(error, []);
}

/// <summary>
/// CHATHISTORY's subcommands over one conversation, built from the four pages the chat core reads
/// (<see cref="HistoryQuery"/>: the latest, before an id, after an id, since a time), so that the
/// store needs nothing IRC-specific. Order is the store's; ids are exact bounds. A timestamp is
/// read at the millisecond a server-time tag shows: AFTER it means a later shown time, BEFORE it an
/// earlier one, so paging by the times a client saw neither repeats nor skips a message unless two
/// share a millisecond (paging by msgid is exact).
/// </summary>
/// <param name="read">One page of the conversation, with the user's access checked (ChatCore.ReadHistoryAsync).</param>
public sealed class ChatHistoryReader(Func<HistoryQuery, ValueTask<HistoryResult>> read)
{
    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    public async ValueTask<ChatHistoryAnswer> ReadAsync(ChatHistoryRequest request)
    {
        try
        {
            var (first, second, limit) = (request.First, request.Second, request.Limit);
            return request.Subcommand switch
            {
                ChatHistorySubcommand.Latest => Answer(await LatestAsync(first, limit).ConfigureAwait(false)),
                ChatHistorySubcommand.Before => Answer(await OlderThanAsync(first, limit).ConfigureAwait(false)),
                ChatHistorySubcommand.After => Answer(await NewerThanAsync(first, limit).ConfigureAwait(false)),
                ChatHistorySubcommand.Around => new(ChatError.None, await AroundAsync(first, limit).ConfigureAwait(false)),
                ChatHistorySubcommand.Between => new(ChatError.None, await BetweenAsync(first, second, limit).ConfigureAwait(false)),
                _ => throw new ArgumentException("TARGETS names no conversation.", nameof(request)),
            };
        }
        catch (HistoryReadException ex)
        {
            return ChatHistoryAnswer.Failed(ex.Error);
        }
    }

    private static ChatHistoryAnswer Answer(HistoryPage page) => new(ChatError.None, page.Messages);

    private async ValueTask<HistoryPage> ReadPageAsync(HistoryQuery query)
    {
        var result = await read(query).ConfigureAwait(false);
        return result.Error == ChatError.None ? result.Page! : throw new HistoryReadException(result.Error);
    }

    /// <summary>The newest messages after the selector (all of the newest for <c>*</c>).</summary>
    private async ValueTask<HistoryPage> LatestAsync(HistorySelector after, int limit)
    {
        if (after.IsNone)
        {
            return await ReadPageAsync(new HistoryQuery(limit)).ConfigureAwait(false);
        }

        // When everything after the bound fits in one page, that is the answer; otherwise more
        // than a page follows it, so the newest page lies wholly after it.
        var following = await NewerThanAsync(after, limit).ConfigureAwait(false);
        if (following.Complete)
        {
            return following;
        }

        var latest = await ReadPageAsync(new HistoryQuery(limit)).ConfigureAwait(false);
        return latest with { Messages = [.. latest.Messages.Where(m => IsAfter(m, after, null))] };
    }

    /// <summary>The <paramref name="limit"/> messages just before the selector, oldest first.</summary>
    private async ValueTask<HistoryPage> OlderThanAsync(HistorySelector selector, int limit)
    {
        if (selector.MessageId is { } id)
        {
            return await ReadPageAsync(new HistoryQuery(limit, Before: id)).ConfigureAwait(false);
        }

        // The first message at or after the time bounds the page; with none, every message is older.
        var first = await ReadPageAsync(new HistoryQuery(1, Since: selector.Timestamp)).ConfigureAwait(false);
        return first.Messages.Count == 0
            ? await ReadPageAsync(new HistoryQuery(limit)).ConfigureAwait(false)
            : await ReadPageAsync(new HistoryQuery(limit, Before: first.Messages[0].MessageId)).ConfigureAwait(false);
    }

    /// <summary>The <paramref name="limit"/> messages just after the selector, oldest first.</summary>
    private ValueTask<HistoryPage> NewerThanAsync(HistorySelector selector, int limit) =>
        selector.MessageId is { } id
            ? ReadPageAsync(new HistoryQuery(limit, After: id))
            : ReadPageAsync(new HistoryQuery(limit, Since: selector.Timestamp!.Value + OneMillisecond));

    /// <summary>The selected message (or the first at the time) and those after it.</summary>
    private async ValueTask<HistoryPage> AtOrAfterAsync(HistorySelector selector, int limit)
    {
        if (selector.MessageId is not { } id)
        {
            return await ReadPageAsync(new HistoryQuery(limit, Since: selector.Timestamp)).ConfigureAwait(false);
        }

        // The core reads after a message, not from it: start after its predecessor, or from the
        // oldest message when it has none.
        var previous = await ReadPageAsync(new HistoryQuery(1, Before: id)).ConfigureAwait(false);
        return previous.Messages.Count == 0
            ? await ReadPageAsync(new HistoryQuery(limit, Since: DateTimeOffset.UnixEpoch)).ConfigureAwait(false)
            : await ReadPageAsync(new HistoryQuery(limit, After: previous.Messages[0].MessageId)).ConfigureAwait(false);
    }

    /// <summary>About half before the selector and half from it on; a side with too few leaves its share to the other.</summary>
    private async ValueTask<IReadOnlyList<ChatMessage>> AroundAsync(HistorySelector selector, int limit)
    {
        var from = await AtOrAfterAsync(selector, limit - (limit / 2)).ConfigureAwait(false);
        var before = limit - from.Messages.Count > 0
            ? await OlderThanAsync(selector, limit - from.Messages.Count).ConfigureAwait(false)
            : new HistoryPage([], Complete: true);
        if (!from.Complete && from.Messages.Count + before.Messages.Count < limit)
        {
            from = await AtOrAfterAsync(selector, limit - before.Messages.Count).ConfigureAwait(false);
        }

        return [.. before.Messages, .. from.Messages];
    }

    /// <summary>The messages strictly between two selectors, from the first towards the second (forwards or backwards in time), oldest first.</summary>
    private async ValueTask<IReadOnlyList<ChatMessage>> BetweenAsync(HistorySelector start, HistorySelector end, int limit)
    {
        var startTime = await TimeOfAsync(start).ConfigureAwait(false);
        var endTime = await TimeOfAsync(end).ConfigureAwait(false);
        if (start.MessageId is not null && start.MessageId == end.MessageId)
        {
            return [];
        }

        if (startTime <= endTime)
        {
            var after = await NewerThanAsync(start, limit).ConfigureAwait(false);
            return [.. after.Messages.TakeWhile(m => IsBefore(m, end, endTime))];
        }

        var before = await OlderThanAsync(start, limit).ConfigureAwait(false);
        return [.. before.Messages.Reverse().TakeWhile(m => IsAfter(m, end, endTime)).Reverse()];
    }

    /// <summary>When the selected message was sent (exact), or the selector's time (to the millisecond).</summary>
    private async ValueTask<DateTimeOffset> TimeOfAsync(HistorySelector selector)
    {
        if (selector.MessageId is null)
        {
            return selector.Timestamp!.Value;
        }

        var page = await AtOrAfterAsync(selector, 1).ConfigureAwait(false);
        return page.Messages is [{ } message] && message.MessageId == selector.MessageId
            ? message.SentAt
            : throw new HistoryReadException(ChatError.NoSuchMessage);
    }

    private static bool IsBefore(ChatMessage message, HistorySelector bound, DateTimeOffset boundTime) =>
        bound.MessageId is { } id ? message.MessageId != id && message.SentAt <= boundTime : message.SentAt < boundTime;

    private static bool IsAfter(ChatMessage message, HistorySelector bound, DateTimeOffset? boundTime) =>
        bound.MessageId is { } id
            ? message.MessageId != id && (boundTime is null || message.SentAt >= boundTime)
            : IrcTime.Truncate(message.SentAt) > bound.Timestamp;

    /// <summary>A page the core refused, carried out of the composed reads.</summary>
    private sealed class HistoryReadException(ChatError error) : Exception(error.ToString())
    {
        public ChatError Error { get; } = error;
    }
}
