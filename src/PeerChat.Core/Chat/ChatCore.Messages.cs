namespace PeerChat.Core.Chat;

public sealed partial class ChatCore
{
    /// <summary>
    /// A message to everyone online but the sender. It is handed to them at once and stored in
    /// parallel; the result comes once the store has committed it (at once without a store).
    /// </summary>
    public ValueTask<PostResult> BroadcastAsync(IChatSession from, string text, string? data)
    {
        var message = NewMessage(ConversationKey.Everyone, from, to: null, text, data, directId: null);
        var stored = StartAppend(message);
        var delivery = new MessageDelivery(message);

        // Enumerated in place: `Values` would copy every session into a new list for each message.
        var recipients = 0;
        foreach (var (_, session) in _sessions)
        {
            if (!ReferenceEquals(session, from) && session.Deliver(delivery))
            {
                recipients++;
            }
        }

        // Those online on other nodes get it from their own node, through the cluster's bus.
        if (_backplane is not null)
        {
            // Counted, not enumerated: this runs for every broadcast.
            recipients += _backplane.RemoteClientCount - (_backplane.FindRemote(from.UserName) is null ? 0 : 1);
        }

        return PostedAsync(stored, message, recipients);
    }

    /// <summary>A message to a room's online members but the sender, who must be a member.</summary>
    public ValueTask<PostResult> PostToRoomAsync(IChatSession from, string roomName, string text, string? data)
    {
        if (Store is null)
        {
            return new(PostResult.Failed(ChatError.StoreDisabled));
        }

        if (_rooms.Find(roomName) is not { } room)
        {
            return new(PostResult.Failed(ChatError.NoSuchRoom));
        }

        var members = room.Members;
        var sender = ChatRooms.Key(from.UserName);
        if (!members.Contains(sender))
        {
            return new(PostResult.Failed(ChatError.NotInRoom));
        }

        var message = NewMessage(room.Conversation, from, to: null, text, data, directId: null);
        var stored = StartAppend(message);
        var delivery = new MessageDelivery(message, room.Name);
        var recipients = 0;
        foreach (var member in members)
        {
            if (member != sender && Find(member) is { } session && session.Deliver(delivery))
            {
                recipients++;
            }
            else if (member != sender && _backplane?.FindRemote(member) is not null)
            {
                recipients++;
            }
        }

        return PostedAsync(stored, message, recipients);
    }

    /// <summary>
    /// A direct message. To an online user it is handed over and stored in parallel; to a
    /// registered user who is offline it is queued in the store (accepted only once committed);
    /// without a store that is <see cref="ChatError.UserOffline"/>.
    /// </summary>
    public ValueTask<PostResult> SendAsync(IChatSession from, string to, string text, string? data, string? directId)
    {
        // To an online user, the common case: the result is PostedAsync's own, without a state
        // machine of this method around it (one allocation and one resumption fewer per message).
        try
        {
            if (Find(to) is { } recipient)
            {
                var message = NewMessage(ConversationKey.Direct(from.UserName, recipient.UserName), from, recipient.UserName, text, data, directId);
                var stored = StartAppend(message);
                var delivered = recipient.Deliver(new MessageDelivery(message));
                return PostedAsync(stored, message, delivered ? 1 : 0);
            }
        }
        catch (Exception ex)
        {
            // As from an async method: whoever waits for the result sees it.
            return ValueTask.FromException<PostResult>(ex);
        }

        return SendToAbsentAsync(from, to, text, data, directId);
    }

    /// <summary><see cref="SendAsync"/> to a user who is not online on this node.</summary>
    private async ValueTask<PostResult> SendToAbsentAsync(IChatSession from, string to, string text, string? data, string? directId)
    {
        // Online on another node: the node holding the session delivers it from the cluster's bus.
        if (_backplane?.FindRemote(to) is { } remote)
        {
            var message = NewMessage(ConversationKey.Direct(from.UserName, remote.UserName), from, remote.UserName, text, data, directId);
            var relayed = await AppendAsync(message, queueFor: null).ConfigureAwait(false);
            return relayed == ChatError.None
                ? new PostResult(ChatError.None, message.MessageId, 1, Queued: false) { SentAt = message.SentAt }
                : PostResult.Failed(relayed);
        }

        string? account;
        try
        {
            account = await AccountNameAsync(to).ConfigureAwait(false);
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("send", ex);
            return PostResult.Failed(ChatError.StoreUnavailable);
        }

        if (account is null)
        {
            return PostResult.Failed(ChatError.NoSuchUser);
        }

        if (Store is null)
        {
            return PostResult.Failed(ChatError.UserOffline);
        }

        var queued = NewMessage(ConversationKey.Direct(from.UserName, account), from, account, text, data, directId);
        var error = await AppendAsync(queued, queueFor: ChatRooms.Key(account)).ConfigureAwait(false);
        if (error != ChatError.None)
        {
            return PostResult.Failed(error);
        }

        // A login that read its queue just before this commit would not see the message until its
        // next login: it is handed over live now (and comes again, queued, at the next login; a
        // client keeps one copy of a message id).
        Find(account)?.Deliver(new MessageDelivery(queued));
        return new PostResult(ChatError.None, queued.MessageId, 0, Queued: true) { SentAt = queued.SentAt };
    }

    private ChatMessage NewMessage(ConversationKey conversation, IChatSession from, string? to, string text, string? data, string? directId) =>
        new(MessageIds.Next(), conversation, from.UserName, from.SessionId, to, text, data, directId, _clock.GetUtcNow());

    /// <summary>
    /// Starts storing a message handed over live (<see cref="PostedAsync"/> waits for it): the
    /// store's own task, without a state machine of its own, since a broadcast is waited for once.
    /// </summary>
    private ValueTask StartAppend(ChatMessage message)
    {
        if (_backplane is { PublishesAppends: false } backplane)
        {
            backplane.PublishMessage(message);
        }

        if (Store is null)
        {
            return ValueTask.CompletedTask;
        }

        try
        {
            return Store.AppendAsync(message, queueFor: null);
        }
        catch (Exception ex)
        {
            // As from an async method: whoever waits for the result sees it.
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>The result of a message handed over live, once <paramref name="stored"/> (<see cref="StartAppend"/>) completes.</summary>
    private ValueTask<PostResult> PostedAsync(ValueTask stored, ChatMessage message, int recipients)
    {
        if (Store is null && stored.IsCompletedSuccessfully)
        {
            return new(Posted(ChatError.None, message, recipients));
        }

        return new(Storing(stored, message, recipients));

        // A Task rather than a ValueTask: it completes later all but always, and a ValueTask's
        // builder would keep a second copy of the result in the state made for every message.
        async Task<PostResult> Storing(ValueTask stored, ChatMessage message, int recipients)
        {
            try
            {
                await stored.ConfigureAwait(false);
                StoreWorked();
                return Posted(ChatError.None, message, recipients);
            }
            catch (StoreUnavailableException ex)
            {
                StoreFailedWith("append", ex);
                return Posted(ChatError.StoreUnavailable, message, recipients);
            }
        }
    }

    private static PostResult Posted(ChatError error, ChatMessage message, int recipients) =>
        new(error, message.MessageId, recipients, Queued: false) { SentAt = message.SentAt };

    /// <summary>Stores a message; <see cref="ChatError.None"/> at once without a store.</summary>
    private ValueTask<ChatError> AppendAsync(ChatMessage message, string? queueFor)
    {
        // A store on the cluster's Redis publishes in the append's own step; any other store cannot.
        if (_backplane is { PublishesAppends: false } backplane)
        {
            backplane.PublishMessage(message);
        }

        if (Store is null)
        {
            return ValueTask.FromResult(ChatError.None);
        }

        return Appending(Store, message, queueFor);

        async ValueTask<ChatError> Appending(IMessageStore store, ChatMessage message, string? queueFor)
        {
            try
            {
                await store.AppendAsync(message, queueFor).ConfigureAwait(false);
                StoreWorked();
                return ChatError.None;
            }
            catch (StoreUnavailableException ex)
            {
                StoreFailedWith("append", ex);
                return ChatError.StoreUnavailable;
            }
        }
    }
}
