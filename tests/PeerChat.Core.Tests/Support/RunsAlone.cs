namespace PeerChat.Core.Tests.Support;

/// <summary>
/// Tests that load the machine on purpose (spinning threads, a thousand sockets, killed
/// processes) run in this collection: one at a time and never beside the other classes, whose
/// waits would otherwise stretch by as long as the load lasts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
