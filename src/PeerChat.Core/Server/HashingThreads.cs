using System.Collections.Concurrent;

namespace PeerChat.Core.Server;

/// <summary>
/// Threads of their own for password hashing, one per core, shared by every server in the process.
/// </summary>
/// <remarks>
/// Not the thread pool: a hash at the default iterations holds its thread for about 0.2 s, and with
/// one hashing slot per core a storm of logins held every pool thread, so every other client's
/// requests waited behind the hashes (ping p99 0.8 ms became 413 ms with eight clients logging in
/// over and over; docs/PERFORMANCE.md). On threads of their own the hashes share the cores with the
/// pool by the system's scheduling. Long-lived rather than a thread per hash, so that a cheap hash
/// (a low HashIterations) costs no thread start. How many run at once is each server's hashing
/// slots' business; these threads only carry them out.
/// </remarks>
internal static class HashingThreads
{
    private static readonly BlockingCollection<Action> s_work = Start();

    /// <summary>Runs <paramref name="work"/> on a hashing thread.</summary>
    public static Task<T> RunAsync<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        s_work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        });
        return done.Task;
    }

    private static BlockingCollection<Action> Start()
    {
        var work = new BlockingCollection<Action>();
        for (var i = 0; i < Environment.ProcessorCount; i++)
        {
            // Background threads: they never keep the process alive, and wait without spinning.
            new Thread(() =>
            {
                foreach (var item in work.GetConsumingEnumerable())
                {
                    item();
                }
            })
            { IsBackground = true, Name = "PeerChat hashing " + i }.Start();
        }

        return work;
    }
}
