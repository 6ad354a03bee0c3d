using System.Management.Automation;
using PeerChat.Core.Client;

namespace PeerChat.PowerShell.Commands;

/// <summary>Connects and logs in; the session becomes the default of the other cmdlets.</summary>
[Cmdlet(VerbsCommunications.Connect, "PeerChat")]
[OutputType(typeof(PeerChatSession))]
public sealed class ConnectPeerChatCommand : ServerConnectionCmdlet
{
    [Parameter(Mandatory = true)]
    [Credential]
    [ValidateNotNull]
    public PSCredential Credential { get; set; } = null!;

    /// <summary>Create the account first, then log in.</summary>
    [Parameter]
    public SwitchParameter SignUp { get; set; }

    /// <summary>Open no listener for direct messages: peers reach this session only through the server.</summary>
    [Parameter]
    public SwitchParameter NoDirect { get; set; }

    /// <summary>The most messages the session keeps unread; past it the oldest are dropped, with a warning at the next Receive-PeerChatMessage.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int InboxLimit { get; set; } = ChatInbox.DefaultLimit;

    /// <summary>The most memory, in bytes, the unread messages may hold (64 MiB by default); past it the oldest are dropped, as with -InboxLimit.</summary>
    [Parameter]
    [ValidateRange(1024L, long.MaxValue)]
    public long InboxLimitBytes { get; set; } = ChatInbox.DefaultLimitBytes;

    protected override void ProcessRecord()
    {
        var userName = Credential.UserName;
        var options = ClientOptions(enableDirect: !NoDirect, receivePresence: true);
        ChatClient client;
        try
        {
            WriteVerbose($"Connecting to {ComputerName}:{Port} as '{userName}'.");
            client = Await(ChatClient.ConnectAsync(ComputerName, Port, options, CancelToken));
        }
        catch (ChatClientException ex)
        {
            ThrowTerminatingError(PeerChatErrors.From(ex, $"{ComputerName}:{Port}"));
            return;
        }

        try
        {
            var password = Credential.GetNetworkCredential().Password;
            if (SignUp)
            {
                WriteVerbose($"Creating the account '{userName}'.");
                Await(client.SignUpAsync(userName, password, CancelToken));
            }

            var welcome = Await(client.LoginAsync(userName, password, cancellationToken: CancelToken));
            var session = new PeerChatSession(client, welcome, ComputerName, Port, Events, InboxLimit, InboxLimitBytes);
            SessionRegistry.Add(session);
            WriteVerbose(Core.Text.DisplayText.Escape($"Logged in as '{welcome.UserName}' ({welcome.ClientId}) from {welcome.Address}."));
            WriteObject(session);
        }
        catch (ChatClientException ex)
        {
            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            ThrowTerminatingError(PeerChatErrors.From(ex, userName));
        }
        catch
        {
            // Ctrl+C or a fault: never leave a half-open connection behind.
            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }
}
