using System.Management.Automation;
using PeerChat.PowerShell.Completers;
using PeerChat.PowerShell.Jobs;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Stops PeerChat server jobs gracefully (clients get server_shutdown): by job object (also from
/// the pipeline), by name, by id, or every running one with -All. Naming nothing is refused (a
/// mandatory parameter), so a bare call cannot stop every server of the session unasked.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "PeerChatServer", SupportsShouldProcess = true, DefaultParameterSetName = NameSet)]
[OutputType(typeof(PeerChatServerJob))]
public sealed class StopPeerChatServerCommand : PeerChatCmdlet
{
    private const string NameSet = "Name";
    private const string JobSet = "Job";
    private const string IdSet = "Id";
    private const string AllSet = "All";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = JobSet)]
    [ValidateNotNull]
    public PeerChatServerJob[] Job { get; set; } = [];

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = NameSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ServerJobNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = IdSet)]
    public int[] Id { get; set; } = [];

    /// <summary>Every running PeerChat server job of this session.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>Write the stopped jobs.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var job in Select())
        {
            if (!ShouldProcess($"{job.Name} ({job.Location})", "Stop PeerChat server"))
            {
                continue;
            }

            job.StopJob();
            if (PassThru)
            {
                WriteObject(job);
            }
        }
    }

    private IEnumerable<PeerChatServerJob> Select()
    {
        switch (ParameterSetName)
        {
            case JobSet:
                return Job;
            case IdSet:
                var found = PeerChatJobSourceAdapter.Jobs.Where(j => Id.Contains(j.Id)).ToList();
                foreach (var missing in Id.Where(id => found.All(j => j.Id != id)))
                {
                    WriteError(NotFound($"There is no PeerChat server job with Id {missing}.", missing));
                }

                return found;
            case AllSet:
                return PeerChatJobSourceAdapter.Jobs.Where(j => j.JobStateInfo.State == JobState.Running).ToList();
            default:
                var selected = new List<PeerChatServerJob>();
                foreach (var name in Name)
                {
                    var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
                    var matches = PeerChatJobSourceAdapter.Jobs.Where(j => pattern.IsMatch(j.Name)).ToList();
                    if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                    {
                        WriteError(NotFound($"There is no PeerChat server job named '{name}'.", name));
                    }

                    selected.AddRange(matches.Except(selected));
                }

                return selected;
        }
    }

    private static ErrorRecord NotFound(string message, object target) =>
        new(new ItemNotFoundException(message), "ServerJobNotFound", ErrorCategory.ObjectNotFound, target);
}
