using System.Management.Automation;
using PeerChat.PowerShell.Completers;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>Lists the sessions this process has opened with Connect-PeerChat.</summary>
[Cmdlet(VerbsCommon.Get, "PeerChatSession")]
[OutputType(typeof(PeerChatSession))]
public sealed class GetPeerChatSessionCommand : PeerChatCmdlet
{
    [Parameter(Position = 0)]
    [ArgumentCompleter(typeof(SessionIdCompleter))]
    public int[]? Id { get; set; }

    /// <summary>Only the default session.</summary>
    [Parameter]
    public SwitchParameter Default { get; set; }

    protected override void EndProcessing()
    {
        foreach (var session in SessionRegistry.All)
        {
            if ((Id is null || Id.Contains(session.Id)) && (!Default || session.IsDefault))
            {
                WriteObject(session);
            }
        }
    }
}
