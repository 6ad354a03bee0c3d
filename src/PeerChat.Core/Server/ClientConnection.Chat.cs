using System.Text.Json;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// The connection as a session of the chat core: requests about messages, rooms and history go to
/// <see cref="ChatCore"/>, and what it hands back is written as peerchat/1 frames (<see cref="ChatFrames"/>).
/// </summary>
internal sealed partial class ClientConnection : IChatSession
{
    // The key under which peerchat/1 renderings of a delivery are shared by every connection.
    private static readonly object PeerChatRendering = new();

    // A direct message's: its frame as it is, without the wrapper a broadcast's queue entry needs.
    private static readonly object PeerChatDirectRendering = new();

    // Answers to messages still waiting for the store, oldest first, and the last of them, which
    // each next answer waits for. Only the receive loop touches these.
    private const int MaxPendingAnswers = 256;
    // Made at the first message that must wait (most never do).
    private Queue<Task>? _pendingAnswers;
    private Task _lastAnswer = Task.CompletedTask;

    string IChatSession.UserName => UserName!;

    string IChatSession.SessionId => ClientId;

    bool IChatSession.Deliver(MessageDelivery delivery)
    {
        // Rendered once for all connections; a broadcast or room message may be dropped by a reader
        // that fell behind, a direct message never is.
        return delivery.IsDirect
            ? Send(delivery.RenderedBy(PeerChatDirectRendering, static (MessageDelivery d) => ChatFrames.Message(d.Message, d.RoomName, offline: false)))
            : SendBroadcast(delivery.RenderedBy(PeerChatRendering, static (MessageDelivery d) => new BroadcastFrame(ChatFrames.Message(d.Message, d.RoomName, offline: false))));
    }

    void IChatSession.Notify(PresenceChange change) =>
        Send(change.RenderedBy(PeerChatRendering, static (PresenceChange c) => ChatFrames.Presence(c)));

    void IChatSession.Notify(RoomChange change) =>
        Send(change.RenderedBy(PeerChatRendering, static (RoomChange c) => ChatFrames.RoomEvent(c)));

    void IChatSession.Replace() =>
        RequestClose(NoticeCodes.SessionReplaced, FrameWriter.Notice(NoticeCodes.SessionReplaced, "You logged in somewhere else; this session is closed."));

    private ChatCore Chat => _server.Chat;

    private ValueTask BroadcastAsync(RequestFrame request)
    {
        if (request.Text is null)
        {
            return AfterPendingAnswersAsync(request, static (c, r) => c.ProtocolError(r.Id, ErrorCodes.BadFrame, "broadcast needs a string field 'text'."));
        }

        CountUserRequest();
        var posting = request.Room is { } room
            ? Chat.PostToRoomAsync(this, room, request.Text, DataText(request))
            : Chat.BroadcastAsync(this, request.Text, DataText(request));
        return AnswerInOrderAsync(request, posting, request.Room);
    }

    private ValueTask RelayAsync(RequestFrame request)
    {
        if (request.To is null || request.Text is null)
        {
            return AfterPendingAnswersAsync(request, static (c, r) => c.ProtocolError(r.Id, ErrorCodes.BadFrame, "send needs string fields 'to' and 'text'."));
        }

        CountUserRequest();
        return AnswerInOrderAsync(request, Chat.SendAsync(this, request.To, request.Text, DataText(request), request.DirectId), request.To);
    }

    /// <summary>
    /// Answers a message once the store has it, in request order, without holding up the next
    /// requests: a sender keeps up to <see cref="MaxPendingAnswers"/> messages waiting for their
    /// commit, so one connection is not held to one message per commit. Only when that many wait
    /// does reading stop until the oldest is answered.
    /// </summary>
    private ValueTask AnswerInOrderAsync(RequestFrame request, ValueTask<PostResult> posting, string? subject)
    {
        if (posting.IsCompletedSuccessfully && !HasPendingAnswers)
        {
            AnswerPost(request, posting.Result, subject);
            return ValueTask.CompletedTask;
        }

        // As a Task: a post the store still has is one already (the chat core's async method), so no
        // Task is made here, and the wait below keeps a reference rather than copies of the result.
        return QueueAnswer(AnswerAfterAsync(_lastAnswer, posting.AsTask(), request, subject));
    }

    private ValueTask QueueAnswer(Task answer)
    {
        _lastAnswer = answer;
        _pendingAnswers ??= new Queue<Task>();
        _pendingAnswers.Enqueue(answer);
        return _pendingAnswers.Count >= MaxPendingAnswers ? new ValueTask(_pendingAnswers.Dequeue()) : ValueTask.CompletedTask;
    }

    // posting is waited for here, once, and nowhere else. It is waited for first: the store
    // completes appends in order, so once this one is stored the answer before it is normally out,
    // and this resumes once per message rather than twice. Its failure is seen only after the answer
    // before it, in order; the result is read once both are done, so this method's state (one per
    // message waiting for the store) holds no copy of it.
    private async Task AnswerAfterAsync(Task previous, Task<PostResult> posting, RequestFrame request, string? subject)
    {
        await ((Task)posting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await previous.ConfigureAwait(false);
        try
        {
            AnswerPost(request, posting.GetAwaiter().GetResult(), subject);
        }
        catch (Exception ex)
        {
            // Not the store being unavailable (that is a result): a fault to report, as the receive loop does.
            _server.ReportError("message store " + ClientId, ex);
            Abort(CloseReasons.ServerError);
        }
    }

    /// <summary>Whether answers to earlier messages are still waiting for the store (only the receive loop asks).</summary>
    private bool HasPendingAnswers
    {
        get
        {
            if (_pendingAnswers is null)
            {
                return false;
            }

            while (_pendingAnswers.TryPeek(out var oldest) && oldest.IsCompleted)
            {
                _pendingAnswers.Dequeue();
            }

            return _pendingAnswers.Count > 0;
        }
    }

    /// <summary>Handles a request once every earlier message is answered, so that answers stay in request order.</summary>
    private ValueTask AfterPendingAnswersAsync(RequestFrame request, Action<ClientConnection, RequestFrame> handle)
    {
        if (!HasPendingAnswers)
        {
            handle(this, request);
            return ValueTask.CompletedTask;
        }

        return Waiting(_lastAnswer);

        async ValueTask Waiting(Task answered)
        {
            await answered.ConfigureAwait(false);
            handle(this, request);
        }
    }

    /// <summary>
    /// The <c>sent</c> receipt, unless the client turned receipts off at login: a client that sends
    /// without waiting (a bot, a load generator) then saves a frame per message, as NATS clients do
    /// with <c>verbose</c> off. Errors are always answered.
    /// </summary>
    private void AnswerPost(RequestFrame request, PostResult result, string? subject)
    {
        if (result.MessageId is not null && !result.Queued)
        {
            _server.Counters.Relayed(result.Recipients);
        }

        if (result.Error == ChatError.None)
        {
            if (WantsReceipts)
            {
                Send(ChatFrames.Sent(request, result.MessageId!, result.Recipients, result.Queued));
            }

            return;
        }

        if (result.Error == ChatError.StoreUnavailable)
        {
            Send(ChatFrames.StoreUnavailable(request.Id, result.MessageId, result.Recipients));
            return;
        }

        SendChatError(request.Id, result.Error, subject);
    }

    private async ValueTask JoinAsync(RequestFrame request)
    {
        if (RefusedWithoutStore(request) || MissingField(request, request.Room, "join", "room"))
        {
            return;
        }

        CountUserRequest();
        var result = await Chat.JoinAsync(UserName!, request.Room!).ConfigureAwait(false);
        Send(result.Error == ChatError.None ? ChatFrames.Joined(request.Id, result) : ErrorFrame(request.Id, result.Error, request.Room));
    }

    private async ValueTask LeaveAsync(RequestFrame request)
    {
        if (RefusedWithoutStore(request) || MissingField(request, request.Room, "leave", "room"))
        {
            return;
        }

        CountUserRequest();
        var error = await Chat.LeaveAsync(UserName!, request.Room!).ConfigureAwait(false);
        Send(error == ChatError.None ? SessionFrames.Ok(request.Id) : ErrorFrame(request.Id, error, request.Room));
    }

    private async ValueTask ListRoomsAsync(RequestFrame request)
    {
        if (RefusedWithoutStore(request))
        {
            return;
        }

        CountUserRequest();
        var (error, rooms) = await Chat.ListRoomsAsync(UserName!).ConfigureAwait(false);
        Send(error == ChatError.None ? ChatFrames.Rooms(request.Id, rooms) : ErrorFrame(request.Id, error, null));
    }

    private async ValueTask HistoryAsync(RequestFrame request)
    {
        if (RefusedWithoutStore(request) || !ConversationNamedOnce(request, "history"))
        {
            return;
        }

        if ((request.Before is null ? 0 : 1) + (request.After is null ? 0 : 1) + (request.Since is null ? 0 : 1) > 1)
        {
            ProtocolError(request.Id, ErrorCodes.BadFrame, "history takes at most one of 'before', 'after' and 'since'.");
            return;
        }

        DateTimeOffset? since = null;
        if (request.Since is not null)
        {
            if (!WireTime.TryParse(request.Since, out var time))
            {
                ProtocolError(request.Id, ErrorCodes.BadFrame, "'since' must be an ISO-8601 time, e.g. 2026-11-27T05:30:16.123Z.");
                return;
            }

            since = time;
        }

        if (request.Limit == 0)
        {
            ProtocolError(request.Id, ErrorCodes.BadFrame, "'limit' must be a positive integer.");
            return;
        }

        CountUserRequest();
        if ((request.Before ?? request.After) is { } cursor && !MessageIds.IsWellFormed(cursor))
        {
            Send(ErrorFrame(request.Id, ChatError.NoSuchMessage, cursor));
            return;
        }

        var query = new HistoryQuery(request.Limit ?? ChatCore.DefaultHistoryLimit, request.Before, request.After, since);
        var result = await Chat.ReadHistoryAsync(UserName!, request.Room, request.With, query).ConfigureAwait(false);
        if (result.Error != ChatError.None)
        {
            Send(ErrorFrame(request.Id, result.Error, result.Error == ChatError.NoSuchMessage ? request.Before ?? request.After : request.Room ?? request.With));
            return;
        }

        Send(ChatFrames.History(request.Id, request.Room is null ? null : result.RoomName, request.With is null ? null : result.RoomName, result.Page!));
    }

    private async ValueTask MarkReadAsync(RequestFrame request)
    {
        if (RefusedWithoutStore(request) || !ConversationNamedOnce(request, "mark_read") || MissingField(request, request.UpTo, "mark_read", "upTo"))
        {
            return;
        }

        CountUserRequest();
        var error = MessageIds.IsWellFormed(request.UpTo)
            ? await Chat.MarkReadAsync(UserName!, request.Room, request.With, request.UpTo!).ConfigureAwait(false)
            : ChatError.NoSuchMessage;
        Send(error == ChatError.None
            ? SessionFrames.Ok(request.Id)
            : ErrorFrame(request.Id, error, error == ChatError.NoSuchMessage ? request.UpTo : request.Room ?? request.With));
    }

    private async ValueTask ListConversationsAsync(RequestFrame request)
    {
        if (RefusedWithoutStore(request))
        {
            return;
        }

        CountUserRequest();
        var (error, conversations) = await Chat.ListConversationsAsync(UserName!).ConfigureAwait(false);
        Send(error == ChatError.None ? ChatFrames.Conversations(request.Id, conversations) : ErrorFrame(request.Id, error, null));
    }

    /// <summary>
    /// <c>received</c>: the client has the offline messages up to <c>upTo</c>, which leave its queue
    /// (no answer but an error). When that was the last of a batch and more are queued, the next
    /// batch follows at once, read after the last one sent. Nothing here waits for a confirmation's
    /// commit (an fsync, up to hundreds of milliseconds on a busy disk): a client confirms several
    /// times in a batch, and the one that brings the next batch must not queue behind the others.
    /// </summary>
    private async ValueTask ReceivedAsync(RequestFrame request)
    {
        if (RefusedWithoutStore(request) || MissingField(request, request.UpTo, "received", "upTo"))
        {
            return;
        }

        if (!MessageIds.IsWellFormed(request.UpTo))
        {
            // Nothing queued has that id, and an id not in the queue does nothing.
            return;
        }

        var confirming = Chat.ConfirmOfflineAsync(UserName!, request.UpTo!).AsTask();
        if (_seldom is { OfflineMore: true, OfflineLastSent: { } lastSent } && request.UpTo == lastSent)
        {
            SendOfflineBatch(await ReadOfflineBatchAsync(after: lastSent).ConfigureAwait(false), first: false);
        }

        await QueueAnswer(AnswerConfirmationAfterAsync(_lastAnswer, confirming, request.Id)).ConfigureAwait(false);
    }

    private async Task AnswerConfirmationAfterAsync(Task previous, Task<ChatError> confirming, JsonElement? re)
    {
        await previous.ConfigureAwait(false);
        try
        {
            if (await confirming.ConfigureAwait(false) is var error and not ChatError.None)
            {
                Send(ErrorFrame(re, error, null));
            }
        }
        catch (Exception ex)
        {
            _server.ReportError("message store " + ClientId, ex);
            Abort(CloseReasons.ServerError);
        }
    }

    /// <summary>Offline messages rendered, as many as fit half the outbound queue, so that the batch can never make this client a slow consumer.</summary>
    private async ValueTask<OfflineFrames> ReadOfflineBatchAsync(string? after = null)
    {
        var maxFrames = Math.Max(1, Options.EffectiveSendQueueSoftFrames - 2);
        var maxBytes = Options.EffectiveSendQueueSoftBytes;
        var batch = await Chat.ReadOfflineAsync(UserName!, maxFrames, after).ConfigureAwait(false);
        var frames = new List<byte[]>(batch.Messages.Count);
        long bytes = 0;
        string? last = null;
        foreach (var message in batch.Messages)
        {
            var frame = ChatFrames.Message(message, roomName: null, offline: true);
            if (frames.Count > 0 && bytes + frame.Length > maxBytes)
            {
                break;
            }

            frames.Add(frame);
            bytes += frame.Length;
            last = message.MessageId;
        }

        // The queue's total still counts the batches before, until their confirmation is committed.
        var more = frames.Count < batch.Messages.Count || (after is null ? batch.Total > frames.Count : batch.Messages.Count == maxFrames);
        return new OfflineFrames(batch.Error, frames, batch.Dropped, last, more);
    }

    private void SendOfflineBatch(OfflineFrames batch, bool first)
    {
        if (batch.Error != ChatError.None)
        {
            Send(FrameWriter.Error(null, ErrorCodes.StoreUnavailable, "The message store cannot be read now: your offline messages stay queued until your next login."));
            return;
        }

        // Told once, with the first batch: the count stays in the queue until the first
        // confirmation commits, and the next batch is read without waiting for that.
        if (first && batch.Dropped > 0)
        {
            Send(ChatFrames.OfflineDropped(batch.Dropped));
        }

        if (!first && batch.Frames.Count > 0)
        {
            Send(ChatFrames.OfflineMore(batch.Frames.Count));
        }

        foreach (var frame in batch.Frames)
        {
            Send(frame);
        }

        if (batch.Frames.Count > 0)
        {
            (Seldom.OfflineLastSent, Seldom.OfflineMore) = (batch.LastMessageId, batch.More);
        }
        else if (_seldom is { } seldom)
        {
            (seldom.OfflineLastSent, seldom.OfflineMore) = (null, false);
        }
    }

    private sealed record OfflineFrames(ChatError Error, List<byte[]> Frames, long Dropped, string? LastMessageId, bool More);

    private bool RefusedWithoutStore(RequestFrame request)
    {
        if (Chat.Store is not null)
        {
            return false;
        }

        Send(ErrorFrame(request.Id, ChatError.StoreDisabled, null));
        return true;
    }

    private bool MissingField(RequestFrame request, string? value, string type, string field)
    {
        if (value is not null)
        {
            return false;
        }

        ProtocolError(request.Id, ErrorCodes.BadFrame, $"{type} needs a string field '{field}'.");
        return true;
    }

    private bool ConversationNamedOnce(RequestFrame request, string type)
    {
        if (request.Room is null || request.With is null)
        {
            return true;
        }

        ProtocolError(request.Id, ErrorCodes.BadFrame, $"{type} names a room or a user ('with'), not both.");
        return false;
    }

    private void SendChatError(JsonElement? re, ChatError error, string? subject) => Send(ErrorFrame(re, error, subject));

    private byte[] ErrorFrame(JsonElement? re, ChatError error, string? subject) => error switch
    {
        ChatError.NoSuchUser => FrameWriter.Error(re, ErrorCodes.NoSuchUser, $"No user named '{subject}'."),
        ChatError.UserOffline => FrameWriter.Error(re, ErrorCodes.UserOffline, $"'{subject}' is not online, and this server keeps no messages for later (it runs without a message store)."),
        ChatError.NoSuchRoom => FrameWriter.Error(re, ErrorCodes.NoSuchRoom, $"No room named '{subject}'."),
        ChatError.NotInRoom => FrameWriter.Error(re, ErrorCodes.NotInRoom, $"You are not in room '{subject}'."),
        ChatError.TooManyRooms => FrameWriter.Error(re, ErrorCodes.TooManyRooms, $"A user may be in at most {Options.MaxRoomsPerUser} rooms, and the server holds at most {Options.MaxRooms}."),
        ChatError.InvalidRoom => FrameWriter.Error(re, ErrorCodes.InvalidRoom, "A room name is 1 to 32 of A-Z a-z 0-9 . _ -"),
        ChatError.NoSuchMessage => FrameWriter.Error(re, ErrorCodes.NoSuchMessage, $"No message '{subject}' in that conversation."),
        ChatError.StoreUnavailable => FrameWriter.Error(re, ErrorCodes.StoreUnavailable, "The message store cannot be used now; live chat goes on."),
        _ => FrameWriter.Error(re, ErrorCodes.StoreDisabled, "This server keeps no messages (it runs without a message store): rooms, history, offline delivery and read markers are off."),
    };

    private static string? DataText(RequestFrame request) => request.Data?.GetRawText();
}
