namespace PeerChat.Core.Server;

/// <summary>
/// Runs work during which the send loops that queued frames would wake are woken once, at its
/// end, rather than one by one as each frame is queued. A message store runs the completions of a
/// committed group in one: the receipts of a group that go to one connection are then written
/// together, in one system call, as a receive loop's frames are (<see cref="OutboundQueue.DeferWakesTo"/>).
/// Batches nest; wakes are never held past the end of the work, even when it throws.
/// </summary>
public static class WakeBatch
{
    public static void Run<TState>(Action<TState> work, TState state)
    {
        ArgumentNullException.ThrowIfNull(work);
        var wakes = OutboundQueue.RentWakeList();
        var previous = OutboundQueue.DeferWakesTo(wakes);
        try
        {
            work(state);
        }
        finally
        {
            OutboundQueue.DeferWakesTo(previous);
            OutboundQueue.WakeAll(wakes);
            OutboundQueue.ReturnWakeList(wakes);
        }
    }
}
