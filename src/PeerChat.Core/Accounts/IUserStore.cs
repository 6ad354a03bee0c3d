namespace PeerChat.Core.Accounts;

/// <summary>Where accounts live: a user name and its password hash record, nothing else.</summary>
public interface IUserStore
{
    /// <summary>
    /// The stored record of <paramref name="userName"/> (any case), with the name as stored; null when
    /// unknown. A store over the network (a cluster's) throws <see cref="Chat.StoreUnavailableException"/>
    /// when it cannot tell.
    /// </summary>
    UserRecord? Find(string userName);

    /// <summary>
    /// <see cref="Find"/> without blocking a thread: what the server calls (logins, signups, sends,
    /// names shown). A store whose lookups go over the network (a cluster's) overrides it; a local one need not.
    /// </summary>
    ValueTask<UserRecord?> FindAsync(string userName, CancellationToken cancellationToken = default) => new(Find(userName));

    /// <summary>Adds an account; false when the name is taken (in any case). Durable when it returns true.</summary>
    Task<bool> TryAddAsync(string userName, string hashRecord, CancellationToken cancellationToken = default);

    /// <summary>Replaces the hash record of an existing account (a rehash at a higher iteration count).</summary>
    Task UpdateAsync(string userName, string hashRecord, CancellationToken cancellationToken = default);

    /// <summary>Lines that could not be read when the store was loaded; they are kept in the file, never deleted.</summary>
    IReadOnlyList<UserStoreIssue> Issues { get; }

    int Count { get; }

    /// <summary>
    /// The PBKDF2 iteration count most accounts' records use; null when unknown (no accounts, or a
    /// store that does not say). An unknown user's check spends this much work, as a wrong password
    /// for a typical account does, so the answer's time does not tell which names exist.
    /// </summary>
    int? TypicalIterations => null;
}

/// <summary>One account.</summary>
public sealed record UserRecord(string UserName, string HashRecord);

/// <summary>A line of the store that was skipped, with its number (from 1) and why.</summary>
public sealed record UserStoreIssue(string Path, int LineNumber, string Reason);
