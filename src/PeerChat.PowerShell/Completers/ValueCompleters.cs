using System.Collections;
using System.Globalization;
using System.Management.Automation.Language;
using System.Management.Automation;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Jobs;

namespace PeerChat.PowerShell.Completers;

/// <summary>Completes -Name of Stop-PeerChatServer with the names of this process's server jobs.</summary>
public sealed class ServerJobNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(wordToComplete, PeerChatJobSourceAdapter.Jobs.Select(j => (j.Name, $"{j.Name} ({j.JobStateInfo.State}, {j.Location})")));
}

/// <summary>Completes -Id of Get-PeerChatSession with the ids of the open sessions, described by user and server.</summary>
public sealed class SessionIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Matching(wordToComplete, SessionRegistry.All.Select(s => (s.Id.ToString(CultureInfo.InvariantCulture), $"{s.Id}: {s.UserName} on {s.ComputerName}:{s.Port}")));
}

internal static class Completions
{
    /// <summary>The values starting with what was typed (quotes ignored), each quoted when it needs to be.</summary>
    public static IEnumerable<CompletionResult> Matching(string wordToComplete, IEnumerable<(string Value, string ToolTip)> candidates)
    {
        var pattern = new WildcardPattern(WildcardPattern.Escape(wordToComplete.Trim('\'', '"')) + "*", WildcardOptions.IgnoreCase);
        return candidates
            .Where(c => pattern.IsMatch(c.Value))
            .Select(c => new CompletionResult(Quote(c.Value), c.Value, CompletionResultType.ParameterValue, c.ToolTip))
            .ToList();
    }

    private static string Quote(string value) =>
        value.Any(ch => char.IsWhiteSpace(ch) || "'\"`$;,(){}@|&<>#".Contains(ch)) ? "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'" : value;
}
