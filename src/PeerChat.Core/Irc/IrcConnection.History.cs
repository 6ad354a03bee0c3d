using System.Text;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Irc;

/// <summary>
/// History over the store: IRCv3 <c>CHATHISTORY</c> (draft/chathistory, in a <c>chathistory</c>
/// batch) for clients that ask, and for clients that do not, the last lines of a channel replayed
/// when they join it (IrcJoinReplay).
/// </summary>
internal sealed partial class IrcConnection
{
    internal const string ChatHistoryCap = "draft/chathistory";

    [IrcCommand("CHATHISTORY", IsUserRequest = true)]
    private async ValueTask ChatHistoryCommand(IrcMessage message)
    {
        var request = ChatHistoryRequest.Parse(message.Parameters, _options.HistoryPageMax, out var failure);
        if (request is null)
        {
            SendFail(failure!);
            return;
        }

        var subcommand = message.Parameters[0].ToUpperInvariant();
        if (_server.Chat.Store is null)
        {
            SendFail(new(ChatHistoryFailure.MessageError, [subcommand, request.Target], "This server keeps no history: it runs without a message store"));
            return;
        }

        if (request.Subcommand == ChatHistorySubcommand.Targets)
        {
            await SendTargetsAsync(request).ConfigureAwait(false);
            return;
        }

        if (!TryResolveTarget(request.Target, out var room, out var with))
        {
            SendFail(new(ChatHistoryFailure.InvalidTarget, [subcommand, request.Target], "Not a conversation: name #everyone, a #room you are in, or a nick"));
            return;
        }

        var user = UserName!;
        var answer = await new ChatHistoryReader(query => _server.Chat.ReadHistoryAsync(user, room, with, query)).ReadAsync(request).ConfigureAwait(false);
        switch (answer.Error)
        {
            case ChatError.None:
                var target = room is not null ? "#" + (FindChannel("#" + room)?.Room ?? room) : request.Target;
                SendHistoryBatch(target, answer.Messages);
                break;
            case ChatError.NoSuchRoom or ChatError.NotInRoom or ChatError.NoSuchUser:
                SendFail(new(ChatHistoryFailure.InvalidTarget, [subcommand, request.Target], answer.Error == ChatError.NoSuchUser ? "No PeerChat account of that name" : "You are not in that channel"));
                break;
            case ChatError.NoSuchMessage:
                SendFail(new(ChatHistoryFailure.InvalidParams, [subcommand, request.Target], "No message of that msgid in this conversation (it may have been removed by retention)"));
                break;
            default:
                SendFail(new(ChatHistoryFailure.MessageError, [subcommand, request.Target], "The message store failed; try again later"));
                break;
        }
    }

    /// <summary>#everyone, a #room, or a nick (the direct conversation with that user).</summary>
    private static bool TryResolveTarget(string target, out string? room, out string? with)
    {
        (room, with) = (null, null);
        if (IrcText.IsEveryone(target))
        {
            return true;
        }

        if (target.StartsWith('#'))
        {
            room = target[1..];
            return IsRoomChannel(target);
        }

        with = target;
        return Accounts.PasswordRules.IsValidUserName(target);
    }

    /// <summary>The messages in a <c>chathistory</c> batch (lines with their tags; no batch without the capability).</summary>
    private void SendHistoryBatch(string target, IReadOnlyList<ChatMessage> messages)
    {
        var roomName = target.StartsWith('#') && !IrcText.IsEveryone(target) ? target[1..] : null;
        var batch = StartBatch("chathistory", target);
        foreach (var message in messages)
        {
            Send(RenderStored(message, roomName, batch));
        }

        EndBatch(batch);
    }

    /// <summary>TARGETS: the conversations with a message between two times, the most recent last, as <c>CHATHISTORY TARGETS &lt;target&gt; &lt;time&gt;</c>.</summary>
    private async ValueTask SendTargetsAsync(ChatHistoryRequest request)
    {
        var (error, conversations) = await _server.Chat.ListConversationsAsync(UserName!).ConfigureAwait(false);
        if (error != ChatError.None)
        {
            SendFail(new(ChatHistoryFailure.MessageError, ["TARGETS", "*"], "The message store failed; try again later"));
            return;
        }

        var (from, to) = (request.First.Timestamp!.Value, request.Second.Timestamp!.Value);
        if (from > to)
        {
            (from, to) = (to, from);
        }

        var found = conversations
            .Where(c => c.LastMessageAt is { } at && IrcTime.Truncate(at) >= from && IrcTime.Truncate(at) <= to)
            .OrderBy(c => c.LastMessageAt)
            .Take(request.Limit);
        var batch = StartBatch("draft/chathistory-targets");
        foreach (var conversation in found)
        {
            var target = conversation.Room is { } room ? "#" + room : conversation.With ?? IrcText.Everyone;
            var tags = IrcTags.Prefix(("batch", batch));
            Send(Encoding.UTF8.GetBytes($"{tags}:{ServerName} CHATHISTORY TARGETS {target} {IrcTime.ToServerTime(conversation.LastMessageAt!.Value)}\r\n"));
        }

        EndBatch(batch);
    }

    /// <summary>
    /// The last IrcJoinReplay lines of a room, for a client that has no CHATHISTORY to ask with:
    /// in a chathistory batch when it takes batches, with server-time (or the time before the text).
    /// </summary>
    private async ValueTask ReplayAsync(string room)
    {
        if (_chatHistoryCap || _options.IrcJoinReplay == 0)
        {
            return;
        }

        var result = await _server.Chat.ReadHistoryAsync(UserName!, room, null, new HistoryQuery(_options.IrcJoinReplay)).ConfigureAwait(false);
        if (result.Error == ChatError.None && result.Page!.Messages.Count > 0)
        {
            SendHistoryBatch("#" + (result.RoomName ?? room), result.Page.Messages);
        }
    }

    /// <summary>The standard reply; a context word no middle parameter can carry (what a client sent) is shown as <c>*</c>.</summary>
    private void SendFail(ChatHistoryFailure failure) =>
        Send(new IrcMessage([], ServerName, "FAIL", ["CHATHISTORY", failure.Code, .. failure.Context.Select(MiddleParameter), failure.Description]));

    private static string MiddleParameter(string text) =>
        text.Length == 0 || text[0] == ':' || text.AsSpan().IndexOfAny(" \r\n\0") >= 0 ? "*" : text;
}
