using System.Text;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Irc;

/// <summary>
/// Channels: <c>#&lt;room&gt;</c> is a PeerChat room (JOIN creates and joins, PART leaves, NAMES,
/// TOPIC read-only, LIST). Membership lasts, as on peerchat/1: at registration the client is
/// joined to every room its user is in. This connection keeps the members of its channels, from the
/// join's answer and the core's room changes, for NAMES, WHO and WHOIS.
/// </summary>
internal sealed partial class IrcConnection
{
    // The rooms this client shows as joined, by lower-case name; guarded by itself (the core's
    // room changes come from other threads).
    private readonly Dictionary<string, IrcChannel> _channels = new(StringComparer.Ordinal);

    private sealed class IrcChannel(string room, IEnumerable<string> members)
    {
        /// <summary>The room as first created.</summary>
        public string Room { get; } = room;

        public string Name => "#" + Room;

        public HashSet<string> Members { get; } = new(members, PasswordRules.UserNameComparer);
    }

    [IrcCommand("JOIN", MinParameters = 1, IsUserRequest = true)]
    private async ValueTask JoinCommand(IrcMessage message)
    {
        if (message.Parameters[0] == "0")
        {
            foreach (var channel in ChannelsSnapshot())
            {
                await PartOneAsync(channel.Name, "Left all channels").ConfigureAwait(false);
            }

            return;
        }

        foreach (var channel in message.Parameters[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (IsClosing)
            {
                return;
            }

            await JoinOneAsync(channel).ConfigureAwait(false);
        }
    }

    private async ValueTask JoinOneAsync(string channel)
    {
        if (IrcText.IsEveryone(channel))
        {
            return;
        }

        if (!IsRoomChannel(channel))
        {
            Reply(ChannelNumerics.ErrBadChanMask, channel, "Bad channel name: a channel is # and 1 to 32 of A-Z a-z 0-9 . _ -");
            return;
        }

        if (FindChannel(channel) is not null)
        {
            return;
        }

        var result = await _server.Chat.JoinAsync(UserName!, channel[1..]).ConfigureAwait(false);
        switch (result.Error)
        {
            case ChatError.None:
                break;
            case ChatError.StoreDisabled:
                Reply(IrcNumerics.ErrNoSuchChannel, channel, "No such channel: rooms need a message store, and this server runs without one");
                return;
            case ChatError.InvalidRoom:
                Reply(ChannelNumerics.ErrBadChanMask, channel, "Bad channel name: a channel is # and 1 to 32 of A-Z a-z 0-9 . _ -");
                return;
            case ChatError.TooManyRooms when ChannelCount() >= _options.MaxRoomsPerUser:
                Reply(ChannelNumerics.ErrTooManyChannels, channel, $"You have joined too many channels: {_options.MaxRoomsPerUser} at most (MaxRoomsPerUser)");
                return;
            case ChatError.TooManyRooms:
                Reply(IrcNumerics.ErrNoSuchChannel, channel, $"Cannot create the channel: the server holds its most rooms ({_options.MaxRooms}, MaxRooms)");
                return;
            default:
                Send(new IrcMessage([], ServerName, "FAIL", ["JOIN", "STORE_UNAVAILABLE", channel, "The message store failed; you were not joined"]));
                return;
        }

        await ShowJoinAsync(result.Room!, result.Members).ConfigureAwait(false);
    }

    /// <summary>The client's view of a room it is in: its own JOIN, the topic, the names, and the last lines for a client without chathistory.</summary>
    private async ValueTask ShowJoinAsync(string room, IReadOnlyList<string> members)
    {
        var channel = new IrcChannel(room, members);
        lock (_channels)
        {
            _channels[ChatRoomsKey(room)] = channel;
        }

        Send(Encoding.UTF8.GetBytes($":{IrcText.Mask(UserName!)} JOIN {channel.Name}\r\n"));
        Reply(IrcNumerics.NoTopic, channel.Name, "No topic is set");
        SendNames(channel.Name, MembersOf(channel));
        await ReplayAsync(channel.Room).ConfigureAwait(false);
    }

    /// <summary>At registration: every room the user is in, joined on this connection too.</summary>
    private async ValueTask JoinRoomsOfUserAsync()
    {
        if (_server.Chat.Store is null)
        {
            return;
        }

        var (error, conversations) = await _server.Chat.ListConversationsAsync(UserName!).ConfigureAwait(false);
        if (error != ChatError.None)
        {
            Send(ServerNotice("Your rooms could not be read (the message store failed); JOIN them again later."));
            return;
        }

        foreach (var room in conversations.Select(c => c.Room).OfType<string>().Order(StringComparer.OrdinalIgnoreCase))
        {
            // Joining a room one is in answers its members and tells nobody.
            var result = await _server.Chat.JoinAsync(UserName!, room).ConfigureAwait(false);
            if (result.Error == ChatError.None && !IsClosing)
            {
                await ShowJoinAsync(result.Room!, result.Members).ConfigureAwait(false);
            }
        }
    }

    [IrcCommand("PART", MinParameters = 1, IsUserRequest = true)]
    private async ValueTask PartCommand(IrcMessage message)
    {
        foreach (var channel in message.Parameters[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            await PartOneAsync(channel, message.Parameter(1)).ConfigureAwait(false);
        }
    }

    private async ValueTask PartOneAsync(string channel, string? reason)
    {
        if (IrcText.IsEveryone(channel))
        {
            Send(new IrcMessage([], ServerName, "FAIL", ["PART", "CANNOT_LEAVE", channel, $"{IrcText.Everyone} is everyone online: it cannot be left"]));
            return;
        }

        var known = FindChannel(channel);
        var error = IsRoomChannel(channel) ? await _server.Chat.LeaveAsync(UserName!, channel[1..]).ConfigureAwait(false) : ChatError.NotInRoom;
        switch (error)
        {
            case ChatError.None:
                lock (_channels)
                {
                    _channels.Remove(ChatRoomsKey(channel[1..]));
                }

                var line = $":{IrcText.Mask(UserName!)} PART {known?.Name ?? channel}" + (string.IsNullOrEmpty(reason) ? "" : $" :{IrcText.OneLine(reason)}");
                Send(Encoding.UTF8.GetBytes(line + "\r\n"));
                break;
            case ChatError.NotInRoom or ChatError.NoSuchRoom or ChatError.StoreDisabled:
                Reply(ChannelNumerics.ErrNotOnChannel, channel, "You're not on that channel");
                break;
            default:
                Send(new IrcMessage([], ServerName, "FAIL", ["PART", "STORE_UNAVAILABLE", channel, "The message store failed; you are still in the channel"]));
                break;
        }
    }

    [IrcCommand("NAMES")]
    private ValueTask NamesCommand(IrcMessage message)
    {
        var channels = message.Parameter(0);
        if (string.IsNullOrEmpty(channels))
        {
            Reply(IrcNumerics.EndOfNames, "*", "End of /NAMES list.");
            return ValueTask.CompletedTask;
        }

        foreach (var channel in channels.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (IrcText.IsEveryone(channel))
            {
                SendNames(IrcText.Everyone, OnlineNames());
            }
            else if (FindChannel(channel) is { } joined)
            {
                SendNames(joined.Name, MembersOf(joined));
            }
            else
            {
                // A room one is not in shows no names (as a channel one cannot see).
                Reply(IrcNumerics.EndOfNames, channel, "End of /NAMES list.");
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Rooms have no topic; #everyone's is fixed. Nothing can be set.</summary>
    [IrcCommand("TOPIC", MinParameters = 1)]
    private ValueTask TopicCommand(IrcMessage message)
    {
        var channel = message.Parameters[0];
        var joined = IrcText.IsEveryone(channel) ? null : FindChannel(channel);
        if (!IrcText.IsEveryone(channel) && joined is null)
        {
            Reply(ChannelNumerics.ErrNotOnChannel, channel, "You're not on that channel");
        }
        else if (message.Parameters.Count > 1)
        {
            Reply(ChannelNumerics.ErrChanOPrivsNeeded, joined?.Name ?? IrcText.Everyone, "Topics are read-only on PeerChat: a room has none, and #everyone's is fixed");
        }
        else if (joined is null)
        {
            Reply(IrcNumerics.Topic, IrcText.Everyone, $"Everyone online on {_options.ServerName}");
        }
        else
        {
            Reply(IrcNumerics.NoTopic, joined.Name, "No topic is set");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Every room (rooms are open to all, as on peerchat/1) with its members, and #everyone with who is online.</summary>
    [IrcCommand("LIST", IsUserRequest = true)]
    private async ValueTask ListCommand(IrcMessage message)
    {
        var wanted = message.Parameter(0)?.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Reply(ChannelNumerics.ListStart, "Channel", "Users  Name");
        if (wanted is null || wanted.Contains(IrcText.Everyone))
        {
            Reply(ChannelNumerics.List, IrcText.Everyone, _server.Chat.OnlineCount.ToString(System.Globalization.CultureInfo.InvariantCulture), "Everyone online");
        }

        if (_server.Chat.Store is not null)
        {
            var (error, rooms) = await _server.Chat.ListRoomsAsync(UserName!).ConfigureAwait(false);
            if (error != ChatError.None)
            {
                Send(new IrcMessage([], ServerName, "FAIL", ["LIST", "STORE_UNAVAILABLE", "The message store failed; the rooms could not be listed"]));
            }

            foreach (var room in rooms.Where(r => wanted is null || wanted.Contains("#" + r.Room)))
            {
                Reply(ChannelNumerics.List, "#" + room.Room, room.Members.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{room.Online} online");
            }
        }

        Reply(ChannelNumerics.ListEnd, "End of /LIST");
    }

    /// <summary>Another user joined or left a room this client shows: a JOIN or PART line.</summary>
    partial void OnRoomChange(RoomChange change)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(ChatRoomsKey(change.RoomName), out var channel))
            {
                return;
            }

            if (change.Joined)
            {
                channel.Members.Add(change.UserName);
            }
            else
            {
                channel.Members.Remove(change.UserName);
            }
        }

        Send(change.RenderedBy(IrcRendering, static (RoomChange c) => Encoding.UTF8.GetBytes(
            $":{IrcText.Mask(c.UserName)} {(c.Joined ? "JOIN" : "PART")} #{c.RoomName}\r\n")));
    }

    private static bool IsRoomChannel(string channel) =>
        channel.Length > 1 && channel[0] == '#' && PasswordRules.IsValidUserName(channel[1..]);

    private static string ChatRoomsKey(string room) => room.ToLowerInvariant();

    private IrcChannel? FindChannel(string channel)
    {
        if (channel.Length < 2 || channel[0] != '#')
        {
            return null;
        }

        lock (_channels)
        {
            return _channels.GetValueOrDefault(ChatRoomsKey(channel[1..]));
        }
    }

    private int ChannelCount()
    {
        lock (_channels)
        {
            return _channels.Count;
        }
    }

    private List<IrcChannel> ChannelsSnapshot()
    {
        lock (_channels)
        {
            return [.. _channels.Values];
        }
    }

    private List<string> MembersOf(IrcChannel channel)
    {
        lock (_channels)
        {
            return [.. channel.Members.Order(StringComparer.OrdinalIgnoreCase)];
        }
    }

    // In a cluster, with the users of the other nodes (a user being replaced may be on two: named once).
    private IEnumerable<string> OnlineNames() =>
        _server.Chat.Sessions.Select(s => s.UserName).Append(UserName!)
            .Concat(_server.Chat.Backplane?.RemoteClients.Select(c => c.UserName) ?? [])
            .Distinct(PasswordRules.UserNameComparer);
}
