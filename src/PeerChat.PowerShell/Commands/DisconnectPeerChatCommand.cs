using System.Management.Automation;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>Logs out and closes a session (the default one unless given).</summary>
[Cmdlet(VerbsCommunications.Disconnect, "PeerChat", SupportsShouldProcess = true)]
[OutputType(typeof(void))]
public sealed class DisconnectPeerChatCommand : PeerChatCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public PeerChatSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var session = Session ?? SessionRegistry.Default;
        if (session is null)
        {
            ThrowTerminatingError(PeerChatErrors.NotConnected());
            return;
        }

        if (!ShouldProcess(session.ToString(), "Disconnect"))
        {
            return;
        }

        SessionRegistry.Remove(session);
        // Through the session's connection, so that it also stops reconnecting (-Reconnect).
        Await(session.Live.Connection.CloseAsync(CancelToken));
        WriteVerbose($"Disconnected {session}.");
    }
}
