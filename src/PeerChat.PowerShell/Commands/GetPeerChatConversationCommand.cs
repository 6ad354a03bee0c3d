using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Lists the conversations of the session's user (everyone, each joined room, each direct
/// conversation with stored messages) with how many messages are unread in each.
/// </summary>
[Cmdlet(VerbsCommon.Get, "PeerChatConversation")]
[OutputType(typeof(PeerChatConversation))]
public sealed class GetPeerChatConversationCommand : PeerChatCmdlet
{
    /// <summary>Only conversations with unread messages.</summary>
    [Parameter]
    public SwitchParameter Unread { get; set; }

    [Parameter(ValueFromPipeline = true)]
    public PeerChatSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        IReadOnlyList<ConversationInfo> conversations;
        try
        {
            conversations = Await(session.Live.Client.ConversationsAsync(CancelToken));
        }
        catch (ChatClientException ex)
        {
            ThrowTerminatingError(PeerChatErrors.From(ex, session));
            return;
        }

        foreach (var conversation in conversations)
        {
            if (!Unread || conversation.Unread > 0)
            {
                WriteObject(new PeerChatConversation(conversation, session));
            }
        }
    }
}
