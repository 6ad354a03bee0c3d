using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>Creates an account on a server without staying connected.</summary>
[Cmdlet(VerbsLifecycle.Register, "PeerChatUser", SupportsShouldProcess = true)]
[OutputType(typeof(PeerChatAccount))]
public sealed class RegisterPeerChatUserCommand : ServerConnectionCmdlet
{
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [Credential]
    [ValidateNotNull]
    public PSCredential Credential { get; set; } = null!;

    /// <summary>Write an object describing the new account.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var userName = Credential.UserName;
        if (!ShouldProcess($"{userName} on {ComputerName}:{Port}", "Create PeerChat account"))
        {
            return;
        }

        try
        {
            var client = Await(ChatClient.ConnectAsync(ComputerName, Port, ClientOptions(enableDirect: false, receivePresence: false), CancelToken));
            try
            {
                Await(client.SignUpAsync(userName, Credential.GetNetworkCredential().Password, CancelToken));
                Await(client.LogoutAsync(CancelToken));
            }
            finally
            {
                Await(client.DisposeAsync().AsTask());
            }
        }
        catch (ChatClientException ex)
        {
            WriteError(PeerChatErrors.From(ex, userName));
            return;
        }

        WriteVerbose($"Created the account '{userName}' on {ComputerName}:{Port}.");
        if (PassThru)
        {
            WriteObject(new PeerChatAccount(userName, ComputerName, Port));
        }
    }
}
