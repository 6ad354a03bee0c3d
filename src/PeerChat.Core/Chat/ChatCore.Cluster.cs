using PeerChat.Core.Accounts;

namespace PeerChat.Core.Chat;

/// <remarks>
/// What other nodes of a cluster published, handed over by the <see cref="IChatBackplane"/> one at
/// a time and in order: delivered to this node's sessions as a local message would be, rooms
/// filtered by this node's membership, which the other nodes' joins and leaves keep current.
/// </remarks>
public sealed partial class ChatCore : IBackplaneReceiver
{
    /// <summary>Leaves the cluster (when clustered): call once every session has ended.</summary>
    public Task LeaveClusterAsync() => _backplane?.StopAsync() ?? Task.CompletedTask;

    void IBackplaneReceiver.ReceiveMessage(ChatMessage message)
    {
        var conversation = message.Conversation;
        switch (conversation.Kind)
        {
            case ConversationKind.Everyone:
                var delivery = new MessageDelivery(message);
                foreach (var (_, session) in _sessions)
                {
                    // The sender's user is on its own node; here only while a replacement is under way.
                    if (!PasswordRules.UserNameComparer.Equals(session.UserName, message.From))
                    {
                        session.Deliver(delivery);
                    }
                }

                break;
            case ConversationKind.Room when _rooms.Find(conversation.Room!) is { } room:
                var roomDelivery = new MessageDelivery(message, room.Name);
                var sender = ChatRooms.Key(message.From);
                foreach (var member in room.Members)
                {
                    if (member != sender)
                    {
                        Find(member)?.Deliver(roomDelivery);
                    }
                }

                break;
            case ConversationKind.Direct when message.To is not null:
                Find(message.To)?.Deliver(new MessageDelivery(message));
                break;
        }
    }

    async ValueTask IBackplaneReceiver.ReceiveRoomChangeAsync(string roomName, string user, bool joined, DateTimeOffset at)
    {
        ChatRooms.Room? room;
        bool changed;
        await _membership.WaitAsync().ConfigureAwait(false);
        try
        {
            room = _rooms.Find(roomName);
            if (joined)
            {
                room ??= _rooms.Add(roomName, []);
                changed = _rooms.AddMember(room, user);
            }
            else
            {
                changed = room is not null && _rooms.RemoveMember(room, user);
            }
        }
        finally
        {
            _membership.Release();
        }

        if (changed)
        {
            TellMembers(room!, new RoomChange(joined, room!.Name, user, at), except: user);
        }
    }

    void IBackplaneReceiver.ReceivePresence(bool joined, string user, string clientId, DateTimeOffset at) =>
        AnnouncePresence(joined, user, clientId, subject: null, at);

    bool IBackplaneReceiver.Holds(string user) => Find(user) is not null;

    void IBackplaneReceiver.ReplaceSession(string user, string clientId)
    {
        if (_sessions.TryGetValue(user, out var session) && session.SessionId == clientId)
        {
            // It leaves the table here, as a local replacement's does, so nothing more reaches it.
            Unregister(session);
            session.Replace();
        }
    }

    void IBackplaneReceiver.ReceivePeerExpectation(string user, string clientId, PeerExpectation expectation)
    {
        // Only the session the sender was brokered to: a newer one of the same user has another endpoint.
        if (Find(user) is IDirectPeerSession session && session.SessionId == clientId)
        {
            session.ExpectPeer(expectation);
        }
    }
}
