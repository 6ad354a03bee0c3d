using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

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

    /// <summary>Log in again after the connection ends for any reason but Disconnect-PeerChat, session_replaced or refused credentials.</summary>
    [Parameter]
    public SwitchParameter Reconnect { get; set; }

    /// <summary>With -Reconnect: the longest wait between two attempts (a number is read as seconds; 60 by default).</summary>
    [Parameter]
    [Seconds]
    [ValidateMinimumTimeSpan(1)]
    public TimeSpan ReconnectMaxDelay { get; set; } = new ReconnectPolicy().MaxDelay;

    /// <summary>With -Reconnect: give up after this many failed attempts in a row; by default it retries until Disconnect-PeerChat.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? ReconnectAttempts { get; set; }

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
            WriteVerbose(SignUp ? $"Creating the account '{userName}', then logging in." : $"Logging in as '{userName}'.");
            client = Await(SessionLogin.LogInAsync(client, Credential, SignUp, CancelToken));
        }
        catch (ChatClientException ex)
        {
            ThrowTerminatingError(PeerChatErrors.From(ex, userName));
            return;
        }

        // Only a session that reconnects holds on to the credential (the PSCredential as given,
        // its password a SecureString), for the logins to come.
        var (computerName, port, credential) = (ComputerName, Port, Credential);
        var connection = new ReconnectingChatClient(
            client,
            Reconnect ? cancel => SessionLogin.ConnectAsync(computerName, port, options, credential, signUp: false, cancel) : _ => throw new InvalidOperationException("This session does not reconnect."),
            Reconnect ? new ReconnectPolicy { MaxDelay = ReconnectMaxDelay, MaxAttempts = ReconnectAttempts } : null);
        var session = new LiveSession(connection, ComputerName, Port, Events, InboxLimit, InboxLimitBytes).Session;
        SessionRegistry.Add(session);
        WriteVerbose(Core.Text.DisplayText.Escape($"Logged in as '{session.UserName}' ({session.ClientId}) from {session.Address}."));
        WriteObject(session);
    }
}
