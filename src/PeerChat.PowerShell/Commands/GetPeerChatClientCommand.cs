using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.PowerShell.Completers;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Lists the clients online on the server of a session (each session piped in, or the default).
/// A name without wildcards that is not online is an ObjectNotFound error, as Get-Process says of
/// a process that is not running.
/// </summary>
[Cmdlet(VerbsCommon.Get, "PeerChatClient")]
[OutputType(typeof(PeerChatClientInfo))]
public sealed class GetPeerChatClientCommand : PeerChatCmdlet
{
    /// <summary>Only clients whose user name matches one of these wildcards.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? UserName { get; set; }

    [Parameter(ValueFromPipeline = true)]
    public PeerChatSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var session = ResolveSession(Session);
        IReadOnlyList<ClientInfo> clients;
        try
        {
            clients = Await(session.Live.Client.ListAsync(CancelToken));
        }
        catch (ChatClientException ex)
        {
            ThrowTerminatingError(PeerChatErrors.From(ex, session));
            return;
        }

        session.Live.RememberOnline(clients);
        var patterns = UserName?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var client in clients)
        {
            if (patterns is null || patterns.Any(p => p.IsMatch(client.UserName)))
            {
                WriteObject(new PeerChatClientInfo(client, session));
            }
        }

        foreach (var name in UserName ?? [])
        {
            if (!WildcardPattern.ContainsWildcardCharacters(name) && !clients.Any(c => string.Equals(c.UserName, name, StringComparison.OrdinalIgnoreCase)))
            {
                WriteError(new ErrorRecord(
                    new ItemNotFoundException($"'{name}' is not online on {session.ComputerName}:{session.Port}."),
                    "ClientNotFound",
                    ErrorCategory.ObjectNotFound,
                    name));
            }
        }
    }
}
