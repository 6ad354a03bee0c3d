using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Completers;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Reads what the server stored of a conversation (everyone, a room, or the direct one with a user)
/// and writes it oldest first as PeerChatMessage objects, asking for as many pages as it takes.
/// </summary>
[Cmdlet(VerbsCommon.Get, "PeerChatHistory")]
[OutputType(typeof(PeerChatMessage))]
public sealed class GetPeerChatHistoryCommand : PeerChatCmdlet
{
    private const int DefaultLast = 50;

    /// <summary>A room's history; binds by property name, so rooms and room messages can be piped in.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowNull]
    [AllowEmptyString]
    public string? Room { get; set; }

    /// <summary>The direct conversation with this user; binds by property name (Get-PeerChatConversation).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    [AllowNull]
    [AllowEmptyString]
    public string? With { get; set; }

    /// <summary>At most this many: the newest (before -Before), or the first after -After/-Since.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    /// <summary>Older than this message: its id, or the message itself.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? Before { get; set; }

    /// <summary>Newer than this message: its id, or the message itself.</summary>
    [Parameter]
    [ValidateNotNull]
    public object? After { get; set; }

    [Parameter]
    public DateTime? Since { get; set; }

    /// <summary>Every message in the direction asked, however many pages.</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    /// <summary>Moves the read marker to the newest message written.</summary>
    [Parameter]
    public SwitchParameter MarkRead { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public PeerChatSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        var before = Cursor(Before, nameof(Before));
        var after = Cursor(After, nameof(After));
        var conversation = Conversation(session, before.Message ?? after.Message);
        if (new object?[] { before.Id, after.Id, Since }.Count(c => c is not null) > 1)
        {
            Refuse("AmbiguousCursor", "Give at most one of -Before, -After and -Since.");
        }

        if (All && Last is not null)
        {
            Refuse("AmbiguousCount", "Give -Last or -All, not both: -All reads every message in the direction asked.");
        }

        var query = new ChatHistoryQuery(Before: before.Id, After: after.Id, Since: Since is { } since ? new DateTimeOffset(since.ToUniversalTime(), TimeSpan.Zero) : null);
        var count = All ? (int?)null : Last ?? DefaultLast;
        string? newest = null;
        try
        {
            var messages = session.Live.Client.ReadHistoryAsync(conversation, query, count, CancelToken).GetAsyncEnumerator(CancelToken);
            try
            {
                while (Await(messages.MoveNextAsync().AsTask()))
                {
                    var message = messages.Current;
                    if (PeerChatMessage.TryCreate(message, session, out var written, out var failure))
                    {
                        WriteObject(written);
                    }
                    else
                    {
                        WriteError(PeerChatErrors.UnreadableMessage(failure, message));
                    }

                    newest = message.MessageId;
                }
            }
            finally
            {
                Await(messages.DisposeAsync().AsTask());
            }

            if (MarkRead && newest is not null)
            {
                Await(session.Live.Client.MarkReadAsync(conversation, newest, CancelToken));
                WriteVerbose(Core.Text.DisplayText.Escape($"Marked {conversation} read up to {newest}."));
            }
        }
        catch (ChatClientException ex)
        {
            WriteChatError(ex, session, conversation.ToString());
        }
    }

    /// <summary>
    /// -Room, -With, or neither (everyone). Given neither, a message passed as the cursor names its
    /// own conversation: the only one its id is a cursor into.
    /// </summary>
    private ConversationRef Conversation(PeerChatSession session, PeerChatMessage? cursor)
    {
        var room = string.IsNullOrEmpty(Room) ? null : Room;
        var with = string.IsNullOrEmpty(With) ? null : With;
        if (room is not null && with is not null)
        {
            Refuse("AmbiguousConversation", "Give -Room or -With, not both.");
        }

        if (room is not null)
        {
            if (!PasswordRules.IsValidUserName(room))
            {
                ThrowTerminatingError(PeerChatErrors.InvalidRoomName(room));
            }

            return ConversationRef.ForRoom(room);
        }

        if (with is not null)
        {
            return ConversationRef.WithUser(with);
        }

        return cursor switch
        {
            { Kind: PeerChatMessageKind.Room, Room: { } cursorRoom } => ConversationRef.ForRoom(cursorRoom),
            { Kind: PeerChatMessageKind.Direct } m when string.Equals(m.From, session.UserName, StringComparison.OrdinalIgnoreCase) && m.To is not null => ConversationRef.WithUser(m.To),
            { Kind: PeerChatMessageKind.Direct, From: { } from } => ConversationRef.WithUser(from),
            _ => ConversationRef.Everyone,
        };
    }

    /// <summary>A cursor given as an id or as a message (from history or the inbox); anything else is refused.</summary>
    private (string? Id, PeerChatMessage? Message) Cursor(object? value, string parameter)
    {
        var raw = value is PSObject wrapped ? wrapped.BaseObject : value;
        switch (raw)
        {
            case null:
                return (null, null);
            case PeerChatMessage { MessageId: { } id } message:
                return (id, message);
            case string id when id.Length > 0:
                return (id, null);
        }

        Refuse("InvalidCursor", $"-{parameter} takes a message id or a PeerChatMessage with a MessageId (a notice has none); got {raw.GetType().Name}.", ErrorCategory.InvalidArgument);
        return (null, null);
    }

    private void Refuse(string errorId, string message, ErrorCategory category = ErrorCategory.InvalidArgument) =>
        ThrowTerminatingError(new ErrorRecord(new ArgumentException(message), errorId, category, null));
}
