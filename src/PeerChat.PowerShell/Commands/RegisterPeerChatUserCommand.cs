using System.Management.Automation;
using PeerChat.Core;
using PeerChat.Core.Client;

namespace PeerChat.PowerShell.Commands;

/// <summary>Creates an account on a server without staying connected.</summary>
[Cmdlet(VerbsLifecycle.Register, "PeerChatUser", SupportsShouldProcess = true)]
[OutputType(typeof(PeerChatAccount))]
public sealed class RegisterPeerChatUserCommand : PeerChatCmdlet
{
    [Parameter(Position = 0)]
    [Alias("Server", "HostName")]
    [ValidateNotNullOrEmpty]
    public string ComputerName { get; set; } = "localhost";

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = ChatServerOptions.DefaultPort;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [Credential]
    [ValidateNotNull]
    public PSCredential Credential { get; set; } = null!;

    /// <summary>Speak TLS to the server.</summary>
    [Parameter]
    public SwitchParameter UseTls { get; set; }

    /// <summary>Accept only a server certificate with this SHA-256 fingerprint (hex).</summary>
    [Parameter]
    [ValidatePattern("^[0-9A-Fa-f: ]{64,95}$")]
    public string? ServerCertificateThumbprint { get; set; }

    /// <summary>Accept any server certificate (always warns).</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

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
            var client = Await(ChatClient.ConnectAsync(ComputerName, Port, ClientOptions(UseTls, ServerCertificateThumbprint, SkipCertificateCheck, enableDirect: false, receivePresence: false), CancelToken));
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
