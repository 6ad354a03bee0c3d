using System.Management.Automation;
using PeerChat.Core.Client;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Takes the messages and notices that arrived for a session. With <c>-Wait</c> it waits for the
/// first (or for <c>-Count</c> of them) until <c>-Timeout</c> passes; Ctrl+C stops the wait.
/// </summary>
[Cmdlet(VerbsCommunications.Receive, "PeerChatMessage")]
[OutputType(typeof(PeerChatMessage))]
public sealed class ReceivePeerChatMessageCommand : PeerChatCmdlet
{
    [Parameter]
    public PeerChatSession? Session { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>How long -Wait waits; without it, until something arrives or Ctrl+C.</summary>
    [Parameter]
    public TimeSpan? Timeout { get; set; }

    /// <summary>At most this many; with -Wait, wait until this many have come.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Count { get; set; }

    /// <summary>Only messages from users matching this wildcard; the others stay for later.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? From { get; set; }

    protected override void EndProcessing()
    {
        // A closed session may still hold messages (its last notice, say): read them without ResolveSession's check.
        var session = Session ?? SessionRegistry.Default;
        if (session is null)
        {
            ThrowTerminatingError(PeerChatErrors.NotConnected());
            return;
        }

        if (Timeout is { } timeout && timeout < TimeSpan.Zero)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentOutOfRangeException(nameof(Timeout), "-Timeout must not be negative."), "InvalidTimeout", ErrorCategory.InvalidArgument, timeout));
        }

        var pattern = From is null ? null : new WildcardPattern(From, WildcardOptions.IgnoreCase);
        var wait = Wait ? Timeout ?? System.Threading.Timeout.InfiniteTimeSpan : TimeSpan.Zero;
        var taken = Await(session.Inbox.TakeAsync(
            e => pattern is null || (e is ChatMessage m && pattern.IsMatch(m.From)),
            Count ?? int.MaxValue,
            wait,
            waitForAll: Count is not null,
            CancelToken));
        foreach (var chatEvent in taken)
        {
            WriteObject(new PeerChatMessage(chatEvent, session));
        }
    }
}
