using System.Collections;
using System.Management.Automation.Language;
using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Completers;

/// <summary>Completes -UserName/-To with the users online, from the session's cache (no network call per key press).</summary>
public sealed class UserNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var session = fakeBoundParameters["Session"] as PeerChatSession
            ?? (fakeBoundParameters["Session"] as PSObject)?.BaseObject as PeerChatSession
            ?? SessionRegistry.Default;
        if (session is null)
        {
            return [];
        }

        var typed = wordToComplete.Trim('\'', '"');
        var pattern = new WildcardPattern(typed + "*", WildcardOptions.IgnoreCase);
        // Only names the account rule allows: completion text goes straight into the command line,
        // where a name of a hostile server's (quotes, semicolons, escape sequences) could run as code.
        return session.Live.OnlineUserNames()
            .Where(name => PasswordRules.IsValidUserName(name) && pattern.IsMatch(name))
            .Select(name => new CompletionResult(name, name, CompletionResultType.ParameterValue, name))
            .ToList();
    }
}
