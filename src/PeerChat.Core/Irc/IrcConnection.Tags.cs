using System.Text;
using PeerChat.Core.Chat;
using PeerChat.Core.Server;

namespace PeerChat.Core.Irc;

/// <summary>
/// The IRCv3 capabilities on messages: server-time (<c>time=</c>), message-tags (<c>msgid=</c>, the
/// PeerChat message id), batch and echo-message. A live message is rendered once per tag variant
/// and shared by every IRC client that enabled that variant; a stored one (history, replay,
/// offline) is rendered for its reader.
/// </summary>
internal sealed partial class IrcConnection
{
    // The shared rendering keys of the tagged variants: [time], [msgid], [time and msgid].
    private static readonly object[] TaggedRenderings = [new(), new(), new()];

    private const int ServerTimeBit = 1;
    private const int MessageTagsBit = 2;

    // The capabilities that change what is written, read by other threads' deliveries: copied
    // from _enabledCaps (which only the receive loop touches) whenever the client changes them.
    private volatile int _tagCaps;
    private volatile bool _echoMessage;
    private volatile bool _batchCap;
    private volatile bool _chatHistoryCap;

    private readonly IrcBatches _batches = new();

    private bool WantsServerTime => (_tagCaps & ServerTimeBit) != 0;

    private bool WantsMessageTags => (_tagCaps & MessageTagsBit) != 0;

    /// <summary>Called after every change of the enabled capabilities.</summary>
    private void OnCapsChanged()
    {
        _tagCaps = (_enabledCaps.Contains("server-time") ? ServerTimeBit : 0) | (_enabledCaps.Contains("message-tags") ? MessageTagsBit : 0);
        _echoMessage = _enabledCaps.Contains("echo-message");
        _batchCap = _enabledCaps.Contains("batch");
        _chatHistoryCap = _enabledCaps.Contains(ChatHistoryCap);
    }

    /// <summary>A live message as this client's capabilities want it, rendered once per variant for every IRC client.</summary>
    private BroadcastFrame RenderLive(MessageDelivery delivery)
    {
        var mode = _tagCaps;
        if (mode == 0)
        {
            return delivery.RenderedBy(IrcRendering, static (MessageDelivery d) => new BroadcastFrame(IrcText.MessageLines(d.Message, d.RoomName)));
        }

        return mode switch
        {
            ServerTimeBit => delivery.RenderedBy(TaggedRenderings[0], static (MessageDelivery d) => Tagged(d, ServerTimeBit)),
            MessageTagsBit => delivery.RenderedBy(TaggedRenderings[1], static (MessageDelivery d) => Tagged(d, MessageTagsBit)),
            _ => delivery.RenderedBy(TaggedRenderings[2], static (MessageDelivery d) => Tagged(d, ServerTimeBit | MessageTagsBit)),
        };

        static BroadcastFrame Tagged(MessageDelivery d, int mode) =>
            new(IrcText.MessageLines(d.Message, d.RoomName, Tags(d.Message, mode, batch: null)));
    }

    /// <summary>The tag prefix of a message for the variant <paramref name="mode"/>, in a batch or not.</summary>
    private static string Tags(ChatMessage message, int mode, string? batch) =>
        IrcTags.Prefix(
            ("batch", batch),
            ((mode & ServerTimeBit) != 0 ? "time" : string.Empty, IrcTime.ToServerTime(message.SentAt)),
            ((mode & MessageTagsBit) != 0 ? "msgid" : string.Empty, message.MessageId));

    /// <summary>
    /// A stored message (history, replay, offline) for this client: tagged as its capabilities
    /// say, and, for a client without server-time, with its time written before the text so that
    /// an old line does not pass for a new one.
    /// </summary>
    private byte[] RenderStored(ChatMessage message, string? roomName, string? batch)
    {
        var mode = _tagCaps;
        var shown = (mode & ServerTimeBit) != 0 ? message : message with { Text = $"[{message.SentAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC] {message.Text}" };
        return IrcText.MessageLines(shown, roomName, Tags(message, mode, _batchCap ? batch : null));
    }

    /// <summary>
    /// echo-message: the sender's own message, once the server accepted it, with the tags the
    /// others got (the same time and msgid), addressed as the client addressed it.
    /// </summary>
    private void Echo(string target, string text, bool notice, PostResult result)
    {
        if (!_echoMessage || result.Error != ChatError.None || result.MessageId is null)
        {
            return;
        }

        var conversation = IrcText.IsEveryone(target) ? ConversationKey.Everyone
            : target.StartsWith('#') ? ConversationKey.ForRoom(target[1..])
            : ConversationKey.Direct(UserName!, target);
        var message = new ChatMessage(
            result.MessageId,
            conversation,
            UserName!,
            ClientId,
            conversation.Kind == ConversationKind.Direct ? target : null,
            text,
            notice ? IrcText.NoticeData : null,
            DirectId: null,
            result.SentAt);
        Send(IrcText.MessageLines(message, target.StartsWith('#') ? target[1..] : null, Tags(message, _tagCaps, batch: null)));
    }

    /// <summary>Opens a batch when the client took the batch capability; its reference, or null.</summary>
    private string? StartBatch(string type, params string[] parameters)
    {
        if (!_batchCap)
        {
            return null;
        }

        var reference = _batches.NextReference();
        Send(Encoding.UTF8.GetBytes(IrcBatches.Start(ServerName, reference, type, parameters) + "\r\n"));
        return reference;
    }

    private void EndBatch(string? reference)
    {
        if (reference is not null)
        {
            Send(Encoding.UTF8.GetBytes(IrcBatches.End(ServerName, reference) + "\r\n"));
        }
    }
}
