using PeerChat.Core.Chat;
using StackExchange.Redis;

namespace PeerChat.Cluster.Redis;

/// <summary>
/// Calls to Redis on the login path, bounded: StackExchange.Redis holds commands while it
/// reconnects, longer than a client waits to log in (AuthTimeout, 10 s), so a login asks Redis
/// for at most <see cref="Patience"/> per step and then answers store_unavailable.
/// </summary>
internal static class AccountCalls
{
    /// <summary>Redis answers in milliseconds; this long without an answer means it is away.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    public static async Task<T> CallAsync<T>(Task<T> command, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await command.WaitAsync(Patience, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Observe(command);
            throw new StoreUnavailableException($"{what} cannot be reached: no answer in {Patience.TotalSeconds:0} s.", ex);
        }
        catch (OperationCanceledException)
        {
            Observe(command);
            throw;
        }
        catch (Exception ex) when (RedisErrors.IsError(ex))
        {
            throw new StoreUnavailableException($"{what} failed: {RedisErrors.Describe(ex)}", ex);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new StoreUnavailableException($"{what} cannot be reached: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The synchronous reads of <c>IUserStore.Find</c>, through StackExchange.Redis's own synchronous
    /// calls (bounded by its SyncTimeout, 5 s): blocking on an async call here would take thread-pool
    /// threads that the answers themselves need, and under many logins at once starve them.
    /// </summary>
    public static T Call<T>(Func<T> read, string what)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (RedisErrors.IsError(ex))
        {
            throw new StoreUnavailableException($"{what} failed: {RedisErrors.Describe(ex)}", ex);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new StoreUnavailableException($"{what} cannot be reached: {ex.Message}", ex);
        }
    }

    public static bool IsUnavailable(Exception ex) => RedisErrors.IsUnreachable(ex) || ex is ObjectDisposedException;

    // A command given up on still ends some time, perhaps failing: nobody waits for it any more.
    private static void Observe(Task command) =>
        command.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
