namespace PeerChat.Core.Accounts;

/// <summary>
/// Turns the accounts <see cref="OriginalUserFile"/> read into salted hashes and adds them to a
/// store in one write (each write rewrites the file durably, so not one per account). Each hash is
/// slow on purpose, so they run on every core; <see cref="Hashed"/> counts the finished ones, for
/// a progress display while <see cref="RunAsync(CsvUserStore, CancellationToken)"/> runs.
/// </summary>
public sealed class OriginalUserImport
{
    private readonly IReadOnlyList<OriginalUserFile.Entry> _entries;
    private readonly int _iterations;
    private int _hashed;

    /// <param name="entries">Entries that can be imported (<see cref="OriginalUserFile.Entry.CanImport"/>).</param>
    /// <param name="iterations">The hash iterations of every imported account.</param>
    public OriginalUserImport(IReadOnlyList<OriginalUserFile.Entry> entries, int iterations)
    {
        if (entries.FirstOrDefault(e => !e.CanImport) is { } skipped)
        {
            throw new ArgumentException($"An entry that cannot be imported was passed: {skipped}", nameof(entries));
        }

        _entries = entries;
        _iterations = iterations;
    }

    public int Count => _entries.Count;

    /// <summary>The passwords hashed so far; safe to read from any thread while <see cref="RunAsync(CsvUserStore, CancellationToken)"/> runs.</summary>
    public int Hashed => Volatile.Read(ref _hashed);

    /// <summary>
    /// Hashes every password (off the caller's thread, which stays free to show progress), then adds
    /// the accounts in one write. Returns each entry with whether the store took it: false when the
    /// name was taken meanwhile.
    /// </summary>
    public Task<IReadOnlyList<(OriginalUserFile.Entry Entry, bool Added)>> RunAsync(CsvUserStore store, CancellationToken cancellationToken = default) =>
        RunAsync(store.TryAddManyAsync, cancellationToken);

    /// <summary>As <see cref="RunAsync(CsvUserStore, CancellationToken)"/>, adding through <paramref name="addMany"/> (another store's TryAddManyAsync): what it returns was added.</summary>
    public async Task<IReadOnlyList<(OriginalUserFile.Entry Entry, bool Added)>> RunAsync(
        Func<IReadOnlyList<UserRecord>, CancellationToken, Task<IReadOnlyList<UserRecord>>> addMany, CancellationToken cancellationToken = default)
    {
        var records = new UserRecord[_entries.Count];
        await Task.Run(() => Parallel.For(0, _entries.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            records[i] = new UserRecord(_entries[i].UserName!, PasswordHasher.Hash(_entries[i].Password!, _iterations));
            Interlocked.Increment(ref _hashed);
        })).ConfigureAwait(false);

        var added = (await addMany(records, cancellationToken).ConfigureAwait(false))
            .Select(r => r.UserName)
            .ToHashSet(PasswordRules.UserNameComparer);
        return _entries.Select(e => (e, added.Contains(e.UserName!))).ToList();
    }
}
