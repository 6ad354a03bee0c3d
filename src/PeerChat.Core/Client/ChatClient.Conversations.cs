using System.Text.Json;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client;

/// <summary>The names a server's <c>hello</c> gives the extensions it takes (docs/PROTOCOL.md, "Extensions").</summary>
public static class ServerExtensions
{
    public const string Rooms = "rooms";
    public const string History = "history";
    public const string Offline = "offline";
    public const string Activity = "activity";
}

/// <summary>Rooms, history, read markers and offline confirmation: what a server with a message store takes.</summary>
public sealed partial class ChatClient
{
    /// <summary>Joins <paramref name="room"/>, creating it when nobody has; joining a room one is in is no error.</summary>
    public async Task<RoomJoined> JoinAsync(string room, CancellationToken cancellationToken = default)
    {
        Require(ServerExtensions.Rooms, "Rooms");
        var reply = await RequestAsync("join", room, static (w, r) => w.WriteString("room", r), cancellationToken).ConfigureAwait(false);
        return ServerFrames.Joined(reply);
    }

    /// <summary>Leaves <paramref name="room"/> (<c>not_in_room</c> when not a member).</summary>
    public async Task LeaveAsync(string room, CancellationToken cancellationToken = default)
    {
        Require(ServerExtensions.Rooms, "Rooms");
        await RequestAsync("leave", room, static (w, r) => w.WriteString("room", r), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every room on the server, with its members, who of them is online, and this user's unread count.</summary>
    public async Task<IReadOnlyList<RoomInfo>> ListRoomsAsync(CancellationToken cancellationToken = default)
    {
        Require(ServerExtensions.Rooms, "Rooms");
        var reply = await RequestAsync("rooms", 0, static (_, _) => { }, cancellationToken).ConfigureAwait(false);
        return ServerFrames.Rooms(reply);
    }

    /// <summary>Sends <paramref name="text"/> to the online members of <paramref name="room"/>, which this user must be in.</summary>
    public Task<SendReceipt> BroadcastAsync(string room, string text, JsonElement? data, CancellationToken cancellationToken = default)
    {
        Require(ServerExtensions.Rooms, "Rooms");
        return SendMessageAsync("broadcast", null, text, data, cancellationToken, room: room);
    }

    /// <summary>One page of a conversation, oldest first.</summary>
    public async Task<ChatHistoryPage> HistoryAsync(ConversationRef conversation, ChatHistoryQuery query, CancellationToken cancellationToken = default)
    {
        Require(ServerExtensions.History, "History");
        var reply = await RequestAsync("history", (conversation, query), static (w, s) =>
        {
            WriteConversation(w, s.conversation);
            if (s.query.Before is not null)
            {
                w.WriteString("before", s.query.Before);
            }

            if (s.query.After is not null)
            {
                w.WriteString("after", s.query.After);
            }

            if (s.query.Since is { } since)
            {
                w.WriteString("since", WireTime.Format(since));
            }

            if (s.query.Limit is { } limit)
            {
                w.WriteNumber("limit", limit);
            }
        }, cancellationToken).ConfigureAwait(false);
        return ServerFrames.History(reply);
    }

    /// <summary>Sets this user's read marker in <paramref name="conversation"/> to <paramref name="upTo"/>.</summary>
    public async Task MarkReadAsync(ConversationRef conversation, string upTo, CancellationToken cancellationToken = default)
    {
        Require(ServerExtensions.History, "Read markers");
        await RequestAsync("mark_read", (conversation, upTo), static (w, s) =>
        {
            WriteConversation(w, s.conversation);
            w.WriteString("upTo", s.upTo);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Everyone, each joined room and each direct conversation with stored messages, with unread counts.</summary>
    public async Task<IReadOnlyList<ConversationInfo>> ConversationsAsync(CancellationToken cancellationToken = default)
    {
        Require(ServerExtensions.History, "Conversations");
        var reply = await RequestAsync("conversations", 0, static (_, _) => { }, cancellationToken).ConfigureAwait(false);
        return ServerFrames.Conversations(reply);
    }

    /// <summary>
    /// Tells the server that the offline messages up to <paramref name="upTo"/> are safely here, so it
    /// stops keeping them. No reply; one that is lost only means they come again at the next login.
    /// </summary>
    public async Task ConfirmReceivedAsync(string upTo, CancellationToken cancellationToken = default)
    {
        if (!Hello.Supports(ServerExtensions.Offline))
        {
            return;
        }

        await WriteAsync(FrameWriter.Build("received", upTo, static (w, id) => w.WriteString("upTo", id)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses locally, as the server would (<c>store_disabled</c>), what its hello did not name.</summary>
    private void Require(string extension, string what)
    {
        if (!Hello.Supports(extension))
        {
            throw new ChatClientException(ErrorCodes.StoreDisabled, $"{what} are off on {Host}:{Port}: the server runs without a message store (its hello names no '{extension}').");
        }
    }

    private static void WriteConversation(Utf8JsonWriter writer, ConversationRef conversation)
    {
        if (conversation.Room is not null)
        {
            writer.WriteString("room", conversation.Room);
        }
        else if (conversation.With is not null)
        {
            writer.WriteString("with", conversation.With);
        }
    }
}

public sealed partial class ChatClient
{
    /// <summary>
    /// Up to <paramref name="count"/> messages of a conversation (all of them when null), oldest
    /// first, asking for as many pages as that takes. With <c>Before</c>, or no cursor, it reads the
    /// newest before it (going back page by page, so it returns when it has them all); with
    /// <c>After</c> or <c>Since</c> the first after it, page by page as they come. All of a
    /// conversation with no cursor is read forward from its start, so nothing is held back.
    /// </summary>
    public async IAsyncEnumerable<ChatMessage> ReadHistoryAsync(ConversationRef conversation, ChatHistoryQuery start, int? count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var forward = start.After is not null || start.Since is not null || (start.Before is null && count is null);
        if (forward)
        {
            var query = start.After is null && start.Since is null ? start with { Since = DateTimeOffset.UnixEpoch } : start;
            await foreach (var message in ReadForwardAsync(conversation, query, count, cancellationToken).ConfigureAwait(false))
            {
                yield return message;
            }

            yield break;
        }

        foreach (var message in await ReadBackwardAsync(conversation, start.Before, count, cancellationToken).ConfigureAwait(false))
        {
            yield return message;
        }
    }

    private async IAsyncEnumerable<ChatMessage> ReadForwardAsync(ConversationRef conversation, ChatHistoryQuery query, int? count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var left = count ?? int.MaxValue;
        while (left > 0)
        {
            var page = await HistoryAsync(conversation, query with { Limit = Math.Min(left, Hello.HistoryMaxLimit) }, cancellationToken).ConfigureAwait(false);
            foreach (var message in page.Messages.Take(left))
            {
                yield return message;
            }

            left -= page.Messages.Count;
            var last = page.Messages.Count > 0 ? page.Messages[^1].MessageId : null;

            // An empty page, or one that does not move on, ends the walk even if the server says more.
            if (page.Complete || last is null || last == query.After)
            {
                yield break;
            }

            query = new ChatHistoryQuery(After: last);
        }
    }

    private async Task<List<ChatMessage>> ReadBackwardAsync(ConversationRef conversation, string? before, int? count, CancellationToken cancellationToken)
    {
        var pages = new List<IReadOnlyList<ChatMessage>>();
        var left = count ?? int.MaxValue;
        while (left > 0)
        {
            var page = await HistoryAsync(conversation, new ChatHistoryQuery(Math.Min(left, Hello.HistoryMaxLimit), Before: before), cancellationToken).ConfigureAwait(false);
            var kept = page.Messages.Count > left ? page.Messages.Skip(page.Messages.Count - left).ToList() : page.Messages;
            pages.Add(kept);
            left -= kept.Count;
            var first = page.Messages.Count > 0 ? page.Messages[0].MessageId : null;
            if (page.Complete || first is null || first == before)
            {
                break;
            }

            before = first;
        }

        pages.Reverse();
        return pages.SelectMany(p => p).ToList();
    }
}
