using System.Collections.Concurrent;
using System.Management.Automation;

namespace PeerChat.PowerShell.Jobs;

/// <summary>
/// Lets Get-Job, Receive-Job, Stop-Job, Wait-Job and Remove-Job find PeerChat server jobs. The
/// repository is process-wide, like the ports the servers hold, so Stop-PeerChatServer sees the
/// same jobs that Get-Job does.
/// </summary>
public sealed class PeerChatJobSourceAdapter : JobSourceAdapter
{
    private static readonly ConcurrentDictionary<Guid, PeerChatServerJob> s_jobs = new();

    public PeerChatJobSourceAdapter()
    {
        Name = nameof(PeerChatJobSourceAdapter);
    }

    internal static IEnumerable<PeerChatServerJob> Jobs => s_jobs.Values.OrderBy(j => j.Id);

    /// <summary>Registers a job created by Start-PeerChatServer with the session's job manager.</summary>
    internal static void Register(PeerChatServerJob job, PSCmdlet cmdlet)
    {
        var definition = new JobDefinition(typeof(PeerChatJobSourceAdapter), job.Command, job.Name);
        var parameters = new Dictionary<string, object> { ["NewJob"] = job };
        cmdlet.JobManager.NewJob(new JobInvocationInfo(definition, parameters));
    }

    public override Job2 NewJob(JobInvocationInfo specification)
    {
        var job = specification.Parameters[0][0].Value as PeerChatServerJob
            ?? throw new PSArgumentException("A PeerChat server job is made by Start-PeerChatServer.");
        s_jobs.TryAdd(job.InstanceId, job);
        return job;
    }

    public override IList<Job2> GetJobs() => [.. Jobs];

    public override IList<Job2> GetJobsByName(string name, bool recurse)
    {
        var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
        return [.. Jobs.Where(j => pattern.IsMatch(j.Name))];
    }

    public override IList<Job2> GetJobsByCommand(string command, bool recurse)
    {
        var pattern = new WildcardPattern(command, WildcardOptions.IgnoreCase);
        return [.. Jobs.Where(j => pattern.IsMatch(j.Command))];
    }

    public override IList<Job2> GetJobsByState(JobState state, bool recurse) => [.. Jobs.Where(j => j.JobStateInfo.State == state)];

    public override IList<Job2> GetJobsByFilter(Dictionary<string, object> filter, bool recurse) =>
        throw new PSNotSupportedException("PeerChat server jobs cannot be found by filter; use -Name, -Id or -State.");

    public override Job2? GetJobByInstanceId(Guid instanceId, bool recurse) => s_jobs.GetValueOrDefault(instanceId);

    public override Job2? GetJobBySessionId(int id, bool recurse) => Jobs.FirstOrDefault(j => j.Id == id);

    /// <summary>Remove-Job: the server is stopped first, then forgotten.</summary>
    public override void RemoveJob(Job2 job)
    {
        if (s_jobs.TryRemove(job.InstanceId, out var removed))
        {
            removed.StopJob();
            removed.Dispose();
        }
    }
}
