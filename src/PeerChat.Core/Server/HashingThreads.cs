using System.Collections.Concurrent;

namespace PeerChat.Core.Server;

/// <summary>
/// Threads of their own for password hashing, one per core, shared by every server in the process.
/// </summary>
/// <remarks>
/// Not the thread pool: a hash holds its thread for about 0.2 s, and a storm of logins on pool
/// threads held up every other client's requests (docs/PERFORMANCE.md, "Login storm").
/// How many hashes run at once is each server's hashing slots' business.
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
