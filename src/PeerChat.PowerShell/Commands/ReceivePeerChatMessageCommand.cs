using System.Management.Automation;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Completers;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Takes the messages and notices that arrived for a session. With <c>-Wait</c> it waits for the
/// first (or for <c>-Count</c> of them) until <c>-Timeout</c> passes; Ctrl+C stops the wait.
/// </summary>
[Cmdlet(VerbsCommunications.Receive, "PeerChatMessage")]
[OutputType(typeof(PeerChatMessage))]
public sealed class ReceivePeerChatMessageCommand : PeerChatCmdlet
{
    private const int ProgressActivityId = 0x5043;
    private static readonly TimeSpan ProgressSlice = TimeSpan.FromMilliseconds(250);

    /// <summary>The session to read; also from the pipeline, each piped session read in turn.</summary>
    [Parameter(ValueFromPipeline = true)]
    public PeerChatSession? Session { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>How long -Wait waits (a number is read as seconds); without it, until something arrives or Ctrl+C.</summary>
    [Parameter]
    [Seconds]
    [ValidateMinimumTimeSpan(0)]
    public TimeSpan? Timeout { get; set; }

    /// <summary>At most this many; with -Wait, wait until this many have come.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int? Count { get; set; }

    /// <summary>Only messages from users matching this wildcard; the others stay for later.</summary>
    [Parameter]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(UserNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? From { get; set; }

    protected override void ProcessRecord()
    {
        // A closed session may still hold messages (its last notice, say): read them without ResolveSession's check.
        var session = Session ?? SessionRegistry.Default;
        if (session is null)
        {
            ThrowTerminatingError(PeerChatErrors.NotConnected());
            return;
        }

        var pattern = From is null ? null : new WildcardPattern(From, WildcardOptions.IgnoreCase);
        Func<ChatEvent, bool> match = e => pattern is null || (e is ChatMessage m && pattern.IsMatch(m.From));
        var max = Count ?? int.MaxValue;
        var taken = Wait
            ? WaitWithProgress(session, match, max)
            : Await(session.Live.Inbox.TakeAsync(match, max, TimeSpan.Zero, waitForAll: false, CancelToken));
        if (session.Live.TakeNewlyDropped() is var dropped and > 0)
        {
            WriteWarning($"{dropped} older message(s) for {session.UserName} were dropped unread: the inbox keeps the newest {session.InboxLimit} and at most {session.InboxLimitBytes / (1024.0 * 1024):0.##} MiB of them (Connect-PeerChat -InboxLimit, -InboxLimitBytes).");
        }

        // Each on its own: one message that cannot be converted costs only itself, not the others
        // already taken from the inbox.
        foreach (var chatEvent in taken)
        {
            if (PeerChatMessage.TryCreate(chatEvent, session, out var message, out var failure))
            {
                WriteObject(message);
            }
            else
            {
                WriteError(PeerChatErrors.UnreadableMessage(failure, chatEvent));
            }
        }
    }

    /// <summary>Waits in short slices, so that a progress bar can say what it is waiting for and how long is left.</summary>
    private List<ChatEvent> WaitWithProgress(PeerChatSession session, Func<ChatEvent, bool> match, int max)
    {
        var progress = new ProgressRecord(ProgressActivityId, $"Waiting for PeerChat messages for {session.UserName}", "Waiting");
        var deadline = Timeout is { } timeout ? DateTime.UtcNow + timeout : DateTime.MaxValue;
        var taken = new List<ChatEvent>();
        try
        {
            while (true)
            {
                var remaining = deadline - DateTime.UtcNow;
                var slice = remaining < ProgressSlice ? remaining : ProgressSlice;
                if (slice > TimeSpan.Zero)
                {
                    taken.AddRange(Await(session.Live.Inbox.TakeAsync(match, max - taken.Count, slice, waitForAll: Count is not null, CancelToken)));
                }

                var done = taken.Count >= max || (Count is null && taken.Count > 0);
                if (done || DateTime.UtcNow >= deadline || session.Live.IsClosed && session.Live.Inbox.Count == 0)
                {
                    return taken;
                }

                progress.StatusDescription = Count is null ? "Waiting for the first message" : $"{taken.Count} of {Count} received";
                progress.SecondsRemaining = deadline == DateTime.MaxValue ? -1 : (int)Math.Ceiling((deadline - DateTime.UtcNow).TotalSeconds);
                WriteProgress(progress);
            }
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }
}
