using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>Leaves rooms; a room one is not in is a NotInRoom error for that room, and the others are still left.</summary>
[Cmdlet(VerbsCommon.Exit, "PeerChatRoom", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class ExitPeerChatRoomCommand : PeerChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Room { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public PeerChatSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        foreach (var room in Room)
        {
            if (!PasswordRules.IsValidUserName(room))
            {
                WriteError(PeerChatErrors.InvalidRoomName(room));
                continue;
            }

            if (!ShouldProcess(room, "Leave PeerChat room"))
            {
                continue;
            }

            try
            {
                Await(session.Live.Client.LeaveAsync(room, CancelToken));
                WriteVerbose(Core.Text.DisplayText.Escape($"Left {room}."));
            }
            catch (ChatClientException ex)
            {
                WriteChatError(ex, session, room);
            }
        }
    }
}
