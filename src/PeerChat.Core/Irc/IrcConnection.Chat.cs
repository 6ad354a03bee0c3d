using System.Runtime.ExceptionServices;
using System.Text;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;

namespace PeerChat.Core.Irc;

/// <summary>
/// The connection as a session of the chat core: PRIVMSG and NOTICE go to <see cref="ChatCore"/>
/// (#everyone: a broadcast; a nick: a direct message, queued when its user is offline), and what
/// the core hands back is written as IRC lines, rendered once for every IRC client.
/// </summary>
internal sealed partial class IrcConnection : IChatSession
{
    // The key under which the IRC rendering of a delivery is shared by every IRC connection.
    private static readonly object IrcRendering = new();

    // Messages waiting for the store's commit (only the receive loop touches them).
    private const int MaxPendingPosts = 256;
    private readonly Queue<Task> _pendingPosts = new();

    // The last of them: each answer (an error numeric, an echo) waits for the one before, so that a
    // client hears about its messages in the order it sent them, whichever commit ends first.
    private Task _lastPost = Task.CompletedTask;

    // The capabilities this client enabled. Only the receive loop changes it.
    private readonly HashSet<string> _enabledCaps = new(StringComparer.Ordinal);

    private static string ServerName => IrcText.ServerName;

    string IChatSession.UserName => UserName!;

    string IChatSession.SessionId => ClientId;

    /// <summary>Every IRC client sees #everyone's JOIN and QUIT.</summary>
    public bool WantsPresence => true;

    public ClientInfo Snapshot() => new(
        ClientId,
        UserName ?? string.Empty,
        Address,
        null,
        ConnectedAt,
        new DateTimeOffset(Interlocked.Read(ref _lastActiveTicks), TimeSpan.Zero),
        Volatile.Read(ref _messages),
        _transport.IsWebSocket ? ClientInfo.ViaIrcWebSocket : ClientInfo.ViaIrc);

    public bool Deliver(MessageDelivery delivery)
    {
        var lines = RenderLive(delivery);
        if (delivery.IsDirect)
        {
            RememberDirect(delivery);
            return Send(lines.Bytes);
        }

        return SendBroadcast(lines);
    }

    public void Notify(PresenceChange change) =>
        Send(change.RenderedBy(IrcRendering, static (PresenceChange c) => Encoding.UTF8.GetBytes(
            c.Joined ? $":{IrcText.Mask(c.UserName)} JOIN {IrcText.Everyone}\r\n" : $":{IrcText.Mask(c.UserName)} QUIT :Left PeerChat\r\n")));

    /// <summary>Room changes are the rooms commands' (JOIN/PART for #room); until then they are not shown.</summary>
    public void Notify(RoomChange change) => OnRoomChange(change);

    public void Replace() => RequestClose(NoticeCodes.SessionReplaced, "You logged in somewhere else; this session is closed");

    partial void OnRoomChange(RoomChange change);

    /// <summary>Leaves the chat once, as soon as the connection begins to close.</summary>
    private void LeaveChat()
    {
        if (UserName is not null)
        {
            _server.Chat.Unregister(this);
        }
    }

    /// <summary>Queues <c>:server numeric nick params...</c>; the last parameter is the text.</summary>
    internal void Reply(string numeric, params string[] parameters) =>
        Send(new IrcMessage([], ServerName, numeric, [Nick, .. parameters.Select(IrcText.OneLine)]));

    internal IrcMessage ServerNotice(string text) => new([], ServerName, "NOTICE", [Nick, IrcText.OneLine(text)]);

    /// <summary>
    /// The client's view of #everyone at registration: its own JOIN, the topic, and the names of
    /// everyone online (cut into lines of at most 512 bytes).
    /// </summary>
    internal void SendEveryoneJoin()
    {
        Send(Encoding.UTF8.GetBytes($":{IrcText.Mask(UserName!)} JOIN {IrcText.Everyone}\r\n"));
        Reply(IrcNumerics.Topic, IrcText.Everyone, $"Everyone online on {_options.ServerName}");
        SendNames(IrcText.Everyone, OnlineNames());
    }

    /// <summary>353 lines with <paramref name="names"/>, then 366.</summary>
    internal void SendNames(string channel, IEnumerable<string> names)
    {
        var head = $":{ServerName} {IrcNumerics.NameReply} {Nick} = {channel} :";
        var headBytes = Encoding.UTF8.GetByteCount(head);
        var line = new StringBuilder(head);
        var lineBytes = headBytes;

        // Counted as it grows: the names of #everyone at a login are everyone online.
        foreach (var name in names)
        {
            var nameBytes = Encoding.UTF8.GetByteCount(name);
            if (lineBytes > headBytes && lineBytes + 1 + nameBytes > IrcText.LineBytes)
            {
                Send(Encoding.UTF8.GetBytes(line.Append("\r\n").ToString()));
                line.Clear().Append(head);
                lineBytes = headBytes;
            }

            if (lineBytes > headBytes)
            {
                line.Append(' ');
                lineBytes++;
            }

            line.Append(name);
            lineBytes += nameBytes;
        }

        if (lineBytes > headBytes)
        {
            Send(Encoding.UTF8.GetBytes(line.Append("\r\n").ToString()));
        }

        Reply(IrcNumerics.EndOfNames, channel, "End of /NAMES list.");
    }

    [IrcCommand("PRIVMSG", IsUserRequest = true)]
    private ValueTask PrivMsg(IrcMessage message) => PostAsync(message, notice: false);

    [IrcCommand("NOTICE", IsUserRequest = true)]
    private ValueTask NoticeCommand(IrcMessage message) => PostAsync(message, notice: true);

    /// <summary>
    /// One message to #everyone, a room or a user. The core hands it over at once and the store
    /// commits it meanwhile: the next lines are read without waiting for the commit, up to
    /// <see cref="MaxPendingPosts"/> at once, so a store that cannot keep up slows its sender only.
    /// </summary>
    private ValueTask PostAsync(IrcMessage message, bool notice)
    {
        if (message.Parameters.Count == 0 || message.Parameters[0].Length == 0)
        {
            Reply(IrcNumerics.ErrNoRecipient, $"No recipient given ({message.Command})");
            return ValueTask.CompletedTask;
        }

        if (message.Parameters.Count < 2 || message.Parameters[1].Length == 0)
        {
            Reply(IrcNumerics.ErrNoTextToSend, "No text to send");
            return ValueTask.CompletedTask;
        }

        var target = message.Parameters[0];
        var text = message.Parameters[1];
        var data = notice ? IrcText.NoticeData : null;
        var posting = IrcText.IsEveryone(target) ? _server.Chat.BroadcastAsync(this, text, data)
            : target.StartsWith('#') ? _server.Chat.PostToRoomAsync(this, target[1..], text, data)
            : _server.Chat.SendAsync(this, target, text, data, directId: null);
        while (_pendingPosts.TryPeek(out var oldest) && oldest.IsCompleted)
        {
            _pendingPosts.Dequeue();
        }

        if (posting.IsCompletedSuccessfully && _pendingPosts.Count == 0)
        {
            var posted = posting.Result;
            ReportPostError(message.Command, target, posted.Error);
            Echo(target, text, notice, posted);
            return ValueTask.CompletedTask;
        }

        _lastPost = ReportWhenStoredAsync(_lastPost, posting, message.Command, target, text, notice);
        _pendingPosts.Enqueue(_lastPost);
        return _pendingPosts.Count >= MaxPendingPosts ? new ValueTask(_pendingPosts.Dequeue()) : ValueTask.CompletedTask;
    }

    // posting is waited for first, as on the main port (ClientConnection.AnswerAfterAsync): the
    // store completes appends in order, so once this one is stored the report before it is
    // normally out, and this resumes once per message rather than twice.
    private async Task ReportWhenStoredAsync(Task previous, ValueTask<PostResult> posting, string command, string target, string text, bool notice)
    {
        PostResult result = default;
        ExceptionDispatchInfo? failed = null;
        try
        {
            result = await posting.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failed = ExceptionDispatchInfo.Capture(ex);
        }

        // Never faults: every failure below is caught.
        await previous.ConfigureAwait(false);
        try
        {
            failed?.Throw();
            ReportPostError(command, target, result.Error);
            Echo(target, text, notice, result);
        }
        catch (Exception ex)
        {
            _server.ReportError("message store " + ClientId, ex);
            Abort(CloseReasons.ServerError);
        }
    }

    private void ReportPostError(string command, string target, ChatError error)
    {
        switch (error)
        {
            case ChatError.None:
                break;
            case ChatError.NoSuchUser:
                Reply(IrcNumerics.ErrNoSuchNick, target, "No such nick: there is no PeerChat account of that name");
                break;
            case ChatError.UserOffline:
                Reply(IrcNumerics.ErrNoSuchNick, target, "Not online, and this server keeps no messages for later (it runs without a message store)");
                break;
            case ChatError.NoSuchRoom or ChatError.InvalidRoom or ChatError.StoreDisabled:
                Reply(IrcNumerics.ErrNoSuchChannel, target, error == ChatError.StoreDisabled ? "No such channel: rooms need a message store, and this server runs without one" : "No such channel");
                break;
            case ChatError.NotInRoom:
                Reply(IrcNumerics.ErrCannotSendToChan, target, "Cannot send to channel: JOIN it first");
                break;
            default:
                Send(new IrcMessage([], ServerName, "FAIL", [command, "STORE_UNAVAILABLE", target, "The message store failed; your message was not kept"]));
                break;
        }
    }

    [IrcCommand("PING", MinParameters = 1, NeedsRegistration = false)]
    private ValueTask Ping(IrcMessage message)
    {
        Send(new IrcMessage([], ServerName, "PONG", [ServerName, message.Parameters[0]]));
        return ValueTask.CompletedTask;
    }

    // A client's answer to a PING; the gateway sends none (the idle rule and TCP tell when a client is gone).
    [IrcCommand("PONG", NeedsRegistration = false)]
    private ValueTask Pong(IrcMessage message) => OnPongAsync(message);

    [IrcCommand("QUIT", NeedsRegistration = false)]
    private ValueTask Quit(IrcMessage message)
    {
        RequestClose(CloseReasons.Logout, "Quit: " + (message.Parameter(0) ?? "Client quit"));
        return ValueTask.CompletedTask;
    }

    /// <summary>Modes are fixed (no privileges): a client's own is +i, every channel's +nt; nothing can change.</summary>
    [IrcCommand("MODE", MinParameters = 1)]
    private ValueTask Mode(IrcMessage message)
    {
        var target = message.Parameters[0];
        if (target.StartsWith('#'))
        {
            if (message.Parameters.Count == 1)
            {
                Reply(IrcNumerics.ChannelModeIs, target, "+nt");
            }
            else if (message.Parameters[1] is not ("b" or "+b"))
            {
                Reply("482", target, "Channel modes are fixed on PeerChat");
            }
            else
            {
                Reply("368", target, "End of channel ban list");
            }
        }
        else if (!PasswordRules.UserNameComparer.Equals(target, UserName))
        {
            Reply(IrcNumerics.ErrUsersDontMatch, "Cannot change mode for other users");
        }
        else if (message.Parameters.Count == 1)
        {
            Reply(IrcNumerics.UserModeIs, "+i");
        }

        return ValueTask.CompletedTask;
    }
}
