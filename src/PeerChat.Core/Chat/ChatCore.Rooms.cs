using PeerChat.Core.Accounts;

namespace PeerChat.Core.Chat;

public sealed partial class ChatCore
{
    private readonly ChatRooms _rooms = new();

    // Joins and leaves one at a time: each is written to the store before memory changes, and
    // the limits are checked against a count no other join is changing. They are rare beside messages.
    private readonly SemaphoreSlim _membership = new(1, 1);

    /// <summary>Joins <paramref name="user"/> to a room, creating it when new; joining a room one is in answers the same, not created.</summary>
    public async ValueTask<JoinResult> JoinAsync(string user, string roomName)
    {
        if (Store is null)
        {
            return JoinResult.Failed(ChatError.StoreDisabled);
        }

        if (!PasswordRules.IsValidUserName(roomName))
        {
            return JoinResult.Failed(ChatError.InvalidRoom);
        }

        ChatRooms.Room room;
        var created = false;
        var alreadyMember = false;
        await _membership.WaitAsync().ConfigureAwait(false);
        try
        {
            var existing = _rooms.Find(roomName);
            if (existing is not null && existing.Has(user))
            {
                // Answered below, outside the lock: the member names may be read from a cluster's Redis.
                room = existing;
                alreadyMember = true;
            }
            else
            {
                if (_rooms.RoomsOf(user) >= Settings.MaxRoomsPerUser || (existing is null && _rooms.Count >= Settings.MaxRooms))
                {
                    return JoinResult.Failed(ChatError.TooManyRooms);
                }

                try
                {
                    created = await Store.AddMemberAsync(existing?.Name ?? roomName, ChatRooms.Key(user)).ConfigureAwait(false) && existing is null;
                    StoreWorked();
                }
                catch (StoreUnavailableException ex)
                {
                    StoreFailedWith("join", ex);
                    return JoinResult.Failed(ChatError.StoreUnavailable);
                }

                room = existing ?? _rooms.Add(roomName, []);
                _rooms.AddMember(room, user);

                // Published in the order of the changes (under the lock), and before any later message of the user.
                _backplane?.PublishRoomChange(room.Name, user, joined: true);
            }
        }
        finally
        {
            _membership.Release();
        }

        if (!alreadyMember)
        {
            TellMembers(room, new RoomChange(joined: true, room.Name, user, _clock.GetUtcNow()), except: user);
        }

        return new JoinResult(ChatError.None, room.Name, created, await MemberNamesAsync(room).ConfigureAwait(false));
    }

    /// <summary>Takes <paramref name="user"/> out of a room; the room and its history stay.</summary>
    public async ValueTask<ChatError> LeaveAsync(string user, string roomName)
    {
        if (Store is null)
        {
            return ChatError.StoreDisabled;
        }

        ChatRooms.Room? room;
        await _membership.WaitAsync().ConfigureAwait(false);
        try
        {
            room = _rooms.Find(roomName);
            if (room is null || !room.Has(user))
            {
                return ChatError.NotInRoom;
            }

            try
            {
                await Store.RemoveMemberAsync(room.Name, ChatRooms.Key(user)).ConfigureAwait(false);
                StoreWorked();
            }
            catch (StoreUnavailableException ex)
            {
                StoreFailedWith("leave", ex);
                return ChatError.StoreUnavailable;
            }

            _rooms.RemoveMember(room, user);
            _backplane?.PublishRoomChange(room.Name, user, joined: false);
        }
        finally
        {
            _membership.Release();
        }

        TellMembers(room, new RoomChange(joined: false, room.Name, user, _clock.GetUtcNow()), except: user);
        return ChatError.None;
    }

    /// <summary>Every room, with how many members it has and how many are online; for those <paramref name="user"/> is in, what is unread.</summary>
    public async ValueTask<(ChatError Error, IReadOnlyList<RoomInfo> Rooms)> ListRoomsAsync(string user)
    {
        if (Store is null)
        {
            return (ChatError.StoreDisabled, []);
        }

        var rooms = _rooms.All.OrderBy(r => r.Conversation.Room, StringComparer.Ordinal).ToList();
        IReadOnlyList<ConversationSummary> summaries;
        try
        {
            summaries = await Store.SummarizeAsync(ChatRooms.Key(user), [.. rooms.Select(r => r.Conversation)]).ConfigureAwait(false);
            StoreWorked();
        }
        catch (StoreUnavailableException ex)
        {
            StoreFailedWith("rooms", ex);
            return (ChatError.StoreUnavailable, []);
        }

        var byKey = summaries.Where(s => s.Conversation.Kind == ConversationKind.Room).ToDictionary(s => s.Conversation.Id, StringComparer.Ordinal);
        var list = new List<RoomInfo>(rooms.Count);
        foreach (var room in rooms)
        {
            var members = room.Members;
            var joined = members.Contains(ChatRooms.Key(user));
            byKey.TryGetValue(room.Conversation.Id, out var summary);
            list.Add(new RoomInfo(
                room.Name,
                members.Count,
                members.Count(IsOnline),
                joined,
                joined ? summary?.Unread ?? 0 : 0,
                summary?.LastMessageId,
                summary?.LastMessageAt));
        }

        return (ChatError.None, list);
    }

    private async ValueTask<IReadOnlyList<string>> MemberNamesAsync(ChatRooms.Room room) =>
        [.. (await DisplayNamesAsync(room.Members).ConfigureAwait(false)).Order(StringComparer.OrdinalIgnoreCase)];

    private void TellMembers(ChatRooms.Room room, RoomChange change, string except)
    {
        var skip = ChatRooms.Key(except);
        foreach (var member in room.Members)
        {
            if (member != skip)
            {
                Find(member)?.Notify(change);
            }
        }
    }
}
