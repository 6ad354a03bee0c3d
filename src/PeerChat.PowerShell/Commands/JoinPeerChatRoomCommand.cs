using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Joins rooms (creating those nobody has made yet). Membership lasts across logins and server
/// restarts until Exit-PeerChatRoom; joining a room one is in is no error.
/// </summary>
[Cmdlet(VerbsCommon.Join, "PeerChatRoom", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PeerChatRoom))]
public sealed class JoinPeerChatRoomCommand : PeerChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Room { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public PeerChatSession? Session { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

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

            if (!ShouldProcess(room, "Join PeerChat room"))
            {
                continue;
            }

            try
            {
                var joined = Await(session.Live.Client.JoinAsync(room, CancelToken));
                WriteVerbose(Core.Text.DisplayText.Escape($"Joined {joined.Room} ({(joined.Created ? "created" : $"{joined.Members.Count} members")})."));
                if (PassThru)
                {
                    WriteObject(new PeerChatRoom(joined, session));
                }
            }
            catch (ChatClientException ex)
            {
                WriteChatError(ex, session, room);
            }
        }
    }
}
