using System.Collections.Concurrent;
using System.Globalization;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using StackExchange.Redis;

namespace PeerChat.Cluster.Redis;

/// <summary>
/// The accounts of a cluster: a hash <c>u:{user}</c> each in the cluster's Redis (docs/CLUSTER.md),
/// so that a user who signs up on one node logs in on any. Signup is one script that makes the
/// account only when the name is free: one winner however many nodes try at once.
/// <para>
/// <see cref="FindAsync"/> is called on every login and on sends to a user, so accounts found are
/// cached for <see cref="CacheLifetime"/>. A miss always asks Redis (an account made on another node
/// is seen at once); what can be stale for that long is an account changed or removed elsewhere: a
/// rehash (the old record checks the same password) or an account deleted in Redis by hand. While
/// Redis cannot be reached a cached account is still found; for an uncached name the lookup throws
/// <see cref="StoreUnavailableException"/> (not "no such user").
/// </para>
/// </summary>
public sealed class RedisUserStore : IUserStore
{
    /// <summary>How long a found account is trusted before it is read again.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

    private readonly IDatabase _db;
    private readonly string _prefix;
    private readonly string _where;
    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.Ordinal);
    private Cached? _typical;

    private RedisUserStore(IDatabase db, string prefix, string where)
    {
        _db = db;
        _prefix = prefix;
        _where = where;
    }

    private sealed record Cached(UserRecord? Record, int? Iterations, long ReadAt)
    {
        public bool Fresh => Environment.TickCount64 - ReadAt < CacheLifetime.TotalMilliseconds;
    }

    /// <summary>The accounts in the Redis of <paramref name="store"/>, under its key prefix, over its connection.</summary>
    public static RedisUserStore Over(RedisMessageStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return new RedisUserStore(store.Database, store.KeyPrefix, store.Where);
    }

    /// <summary>Redis's endpoints and the key prefix: where the accounts are, without the password.</summary>
    public string Where => _where;

    public IReadOnlyList<UserStoreIssue> Issues => [];

    /// <summary>The number of accounts (one read of Redis).</summary>
    public int Count => (int)AccountCalls.Call(() => _db.SetLength(_prefix + "users"), What);

    /// <inheritdoc/>
    public int? TypicalIterations
    {
        get
        {
            // Read on every unknown user's login: cached as accounts are.
            if (_typical is { Fresh: true } typical)
            {
                return typical.Iterations;
            }

            try
            {
                var counts = AccountCalls.Call(() => _db.HashGetAll(_prefix + "ui"), What);
                var most = counts.Where(c => (long)c.Value > 0).OrderByDescending(c => ((long)c.Value << 32) | (uint)(long)c.Name).Select(c => (int?)(int)(long)c.Name).FirstOrDefault();
                _typical = new Cached(null, most, Environment.TickCount64);
                return most;
            }
            catch (StoreUnavailableException)
            {
                return _typical?.Iterations;
            }
        }
    }

    public UserRecord? Find(string userName)
    {
        if (Lookup(userName) is not (var key, var cached))
        {
            return null;
        }

        if (cached is { Fresh: true })
        {
            return cached.Record;
        }

        try
        {
            return Remember(key, AccountCalls.Call(() => _db.HashGet(_prefix + "u:" + key, ["n", "h"]), What));
        }
        catch (StoreUnavailableException) when (cached is not null)
        {
            // A stale account beats none (a message to it is not refused for Redis being away); a
            // name not cached cannot be told from an unknown one, so the caller hears why.
            return cached.Record;
        }
    }

    /// <summary>Null for a name no account can have; else its key and what the cache holds of it.</summary>
    private (string Key, Cached? Cached)? Lookup(string userName)
    {
        if (!PasswordRules.IsValidUserName(userName))
        {
            return null;
        }

        var key = Key(userName);
        return (key, _cache.TryGetValue(key, out var cached) ? cached : null);
    }

    private UserRecord? Remember(string key, RedisValue[] fields)
    {
        if (fields[0].IsNull || fields[1].IsNull)
        {
            _cache.TryRemove(key, out _);
            return null;
        }

        var record = new UserRecord((string)fields[0]!, (string)fields[1]!);
        _cache[key] = new Cached(record, null, Environment.TickCount64);
        return record;
    }

    /// <summary>As <see cref="Find"/>, without blocking a thread: many logins at once on a small machine would otherwise take the threads Redis's answers need.</summary>
    public async ValueTask<UserRecord?> FindAsync(string userName, CancellationToken cancellationToken = default)
    {
        if (Lookup(userName) is not (var key, var cached))
        {
            return null;
        }

        if (cached is { Fresh: true })
        {
            return cached.Record;
        }

        try
        {
            return Remember(key, await Call(_db.HashGetAsync(_prefix + "u:" + key, ["n", "h"]), cancellationToken).ConfigureAwait(false));
        }
        catch (StoreUnavailableException) when (cached is not null)
        {
            return cached.Record;
        }
    }

    public async Task<bool> TryAddAsync(string userName, string hashRecord, CancellationToken cancellationToken = default)
    {
        if (!PasswordRules.IsValidUserName(userName))
        {
            throw new ArgumentException($"'{userName}' is not a valid user name.", nameof(userName));
        }

        var added = await Call(_db.ScriptEvaluateAsync(AccountScripts.Add, values:
            [_prefix, Key(userName), userName, hashRecord, Iterations(hashRecord), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()]), cancellationToken).ConfigureAwait(false);
        if ((long)added == 1)
        {
            _cache[Key(userName)] = new Cached(new UserRecord(userName, hashRecord), null, Environment.TickCount64);
            return true;
        }

        return false;
    }

    /// <summary>Accounts an import adds per round of pipelined calls.</summary>
    internal const int AddBatch = 256;

    /// <summary>
    /// Adds every account whose name is free (each atomically), <see cref="AddBatch"/> at a time in
    /// one pipeline; returns the ones added. Each call waits at most AccountCalls.Patience: a whole
    /// large import sent at once would outlast it while Redis still wrote the accounts (and a rerun
    /// then found the names taken), a batch takes milliseconds.
    /// </summary>
    public async Task<IReadOnlyList<UserRecord>> TryAddManyAsync(IReadOnlyList<UserRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        var valid = records.Where(r => PasswordRules.IsValidUserName(r.UserName)).ToList();
        var added = new List<UserRecord>(valid.Count);
        foreach (var batch in valid.Chunk(AddBatch))
        {
            var done = await Task.WhenAll(batch.Select(r => TryAddAsync(r.UserName, r.HashRecord, cancellationToken))).ConfigureAwait(false);
            added.AddRange(batch.Where((_, k) => done[k]));
        }

        return added;
    }

    public async Task UpdateAsync(string userName, string hashRecord, CancellationToken cancellationToken = default)
    {
        var updated = await Call(_db.ScriptEvaluateAsync(AccountScripts.Update, values: [_prefix, Key(userName), hashRecord, Iterations(hashRecord)]), cancellationToken).ConfigureAwait(false);
        if ((long)updated != 1)
        {
            _cache.TryRemove(Key(userName), out _);
            throw new KeyNotFoundException($"There is no account named '{userName}'.");
        }

        if (_cache.TryGetValue(Key(userName), out var cached) && cached.Record is { } record)
        {
            _cache[Key(userName)] = cached with { Record = record with { HashRecord = hashRecord } };
        }
    }

    /// <summary>Every account's name as spelled (for moving a server's data; one read per account).</summary>
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default)
    {
        var keys = await Call(_db.SetMembersAsync(_prefix + "users"), cancellationToken).ConfigureAwait(false);
        var names = await Task.WhenAll(keys.Select(k => Call(_db.HashGetAsync(_prefix + "u:" + (string)k!, "n"), cancellationToken))).ConfigureAwait(false);
        return names.Where(n => !n.IsNull).Select(n => (string)n!).Order(StringComparer.OrdinalIgnoreCase).ToList();
    }

    // User names are ASCII (PasswordRules), so invariant lower case is exact.
    private static string Key(string userName) => userName.ToLowerInvariant();

    private static string Iterations(string hashRecord) =>
        PasswordHasher.TryReadIterations(hashRecord, out var iterations) ? iterations.ToString(CultureInfo.InvariantCulture) : "0";

    private Task<T> Call<T>(Task<T> command, CancellationToken cancellationToken) =>
        AccountCalls.CallAsync(command, What, cancellationToken);

    private string What => $"The accounts on Redis at {_where}";
}
