using System.Net;
using PeerChat.Core.Accounts;

namespace PeerChat.Core.Server;

/// <summary>
/// Signup and password checks over a user store, with the hashing done off the receive loops and
/// at most <see cref="Environment.ProcessorCount"/> hashes at once, so logins cannot starve the server.
/// </summary>
internal sealed class AccountService
{
    private readonly IUserStore _store;
    private readonly ChatServerOptions _options;
    private readonly SemaphoreSlim _hashSlots = new(Environment.ProcessorCount, Environment.ProcessorCount);
    private readonly ILoginLimits _signups;

    public AccountService(IUserStore store, ChatServerOptions options, ILoginLimits limits)
    {
        _store = store;
        _options = options;
        _signups = limits;
    }

    public enum Outcome
    {
        Ok,
        Invalid,
        UserExists,
        InvalidUserName,
        InvalidPassword,

        /// <summary>No hashing slot came free within HashQueueTimeout.</summary>
        Busy,

        /// <summary>The remote address used its SignupsPerAddressPerMinute.</summary>
        TooManySignups,
    }

    /// <summary>Creates an account for a client at <paramref name="origin"/>; RetryAfter is set with TooManySignups.</summary>
    public async Task<(Outcome Outcome, TimeSpan RetryAfter)> SignUpAsync(string userName, string password, IPAddress origin, CancellationToken cancellationToken)
    {
        if (!PasswordRules.IsValidUserName(userName))
        {
            return (Outcome.InvalidUserName, TimeSpan.Zero);
        }

        if (!PasswordRules.IsValidPassword(password, _options.MinPasswordLength))
        {
            return (Outcome.InvalidPassword, TimeSpan.Zero);
        }

        if (await _store.FindAsync(userName, cancellationToken).ConfigureAwait(false) is not null)
        {
            return (Outcome.UserExists, TimeSpan.Zero);
        }

        // Counted only here, where the costly part begins.
        var (taken, retryAfter) = await _signups.TryTakeSignupAsync(origin, cancellationToken).ConfigureAwait(false);
        if (taken is null)
        {
            return (Outcome.TooManySignups, retryAfter);
        }

        var created = false;
        try
        {
            var (ran, record) = await HashAsync(() => PasswordHasher.Hash(password, _options.HashIterations), cancellationToken).ConfigureAwait(false);
            if (!ran)
            {
                return (Outcome.Busy, TimeSpan.Zero);
            }

            created = await _store.TryAddAsync(userName, record, cancellationToken).ConfigureAwait(false);
            return (created ? Outcome.Ok : Outcome.UserExists, TimeSpan.Zero);
        }
        finally
        {
            // Only accounts made use the budget: one that waited in vain for a hashing slot, or lost
            // its name to a signup at the same moment, is given back.
            if (!created)
            {
                await _signups.GiveBackSignupAsync(origin, taken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Checks a password; on success CanonicalName is the name as stored.</summary>
    public async Task<(Outcome Outcome, string? CanonicalName)> VerifyAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var account = PasswordRules.IsValidUserName(userName) && password.Length <= PasswordRules.MaxLength
            ? await _store.FindAsync(userName, cancellationToken).ConfigureAwait(false)
            : null;
        var (ran, verdict) = await HashAsync(
            () =>
            {
                if (account is null)
                {
                    PasswordHasher.SpendEqualWork(password.Length <= PasswordRules.MaxLength ? password : string.Empty, DummyIterations);
                    return (Match: false, Iterations: 0);
                }

                return (Match: PasswordHasher.Verify(password, account.HashRecord, out var iterations), Iterations: iterations);
            },
            cancellationToken).ConfigureAwait(false);

        if (!ran)
        {
            return (Outcome.Busy, null);
        }

        if (!verdict.Match)
        {
            return (Outcome.Invalid, null);
        }

        if (verdict.Iterations < _options.HashIterations)
        {
            // The record predates a higher HashIterations setting: rehash while we know the password.
            var (rehashed, record) = await HashAsync(() => PasswordHasher.Hash(password, _options.HashIterations), cancellationToken).ConfigureAwait(false);
            if (rehashed)
            {
                await _store.UpdateAsync(account!.UserName, record, cancellationToken).ConfigureAwait(false);
            }
        }

        return (Outcome.Ok, account!.UserName);
    }

    /// <summary>
    /// What checking an unknown user costs: what the store's typical record costs (accounts imported
    /// or made under another setting keep their count until a login rehashes them), else the setting.
    /// </summary>
    internal int DummyIterations => _store.TypicalIterations ?? _options.HashIterations;

    /// <summary>
    /// Runs <paramref name="work"/> in a hashing slot, on the hashing threads (not the thread pool:
    /// <see cref="HashingThreads"/>); Ran is false when no slot came free in time.
    /// </summary>
    private async Task<(bool Ran, T Result)> HashAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        if (!await _hashSlots.WaitAsync(_options.HashQueueTimeout, cancellationToken).ConfigureAwait(false))
        {
            return (false, default!);
        }

        try
        {
            // Awaited whole even if the connection goes meanwhile: the slot stays taken while the hash runs.
            cancellationToken.ThrowIfCancellationRequested();
            return (true, await HashingThreads.RunAsync(work).ConfigureAwait(false));
        }
        finally
        {
            _hashSlots.Release();
        }
    }
}
