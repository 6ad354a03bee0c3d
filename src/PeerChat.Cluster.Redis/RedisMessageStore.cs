using PeerChat.Core.Chat;
using StackExchange.Redis;

namespace PeerChat.Cluster.Redis;

/// <summary>
/// The message store of a cluster: every node's messages, offline queues, rooms and read markers in
/// one Redis, a stream per conversation (docs/CLUSTER.md), with the same semantics as the SQLite
/// store. Each operation is one Lua script (<see cref="StoreScripts"/>); appends called one after
/// another go out on the one connection in that order and Redis runs them in that order, so they
/// are stored in the order of the calls. Every failure to reach Redis is a
/// <see cref="StoreUnavailableException"/>.
/// </summary>
public sealed class RedisMessageStore : IMessageStore
{
    /// <summary>The key prefix of a cluster's data when none is given.</summary>
    public const string DefaultKeyPrefix = "pc:";

    /// <summary>The version of the key layout in <c>{prefix}version</c>; a later change adds a migration from each older one.</summary>
    public const string LayoutVersion = "1";

    private readonly IConnectionMultiplexer _redis;
    private readonly bool _ownsConnection;
    private readonly IDatabase _db;
    private readonly RedisValue _prefix;
    private readonly MessageStoreSettings _settings;
    private readonly RedisRetention _retention;
    private int _disposed;
    private Exception? _refused;

    // Set when a node's backplane runs on this store: each append then also goes on the cluster's bus.
    private RedisValue _busNode = "";
    private RedisValue _busMaxLength = 0;
    private RedisValue _busRun = "";

    private RedisMessageStore(IConnectionMultiplexer redis, bool ownsConnection, string keyPrefix, MessageStoreSettings settings, string where)
    {
        _redis = redis;
        _ownsConnection = ownsConnection;
        _db = redis.GetDatabase();
        _prefix = keyPrefix;
        KeyPrefix = keyPrefix;
        Where = where;
        _settings = settings;
        _retention = new RedisRetention(this, settings);
    }

    /// <summary>The prefix of every key of this store.</summary>
    public string KeyPrefix { get; }

    /// <summary>Redis's endpoints and the key prefix, without the password: what messages about the store name.</summary>
    public string Where { get; }

    /// <summary>
    /// Connects to the Redis of <paramref name="configuration"/> (a StackExchange.Redis configuration
    /// string; its password never appears in a message) and opens the store under
    /// <paramref name="keyPrefix"/>, marking it with this layout's version when new. Throws
    /// <see cref="StoreUnavailableException"/> when Redis cannot be reached or refuses the login,
    /// and <see cref="MessageStoreFormatException"/> when the prefix holds another version's data or
    /// Redis keeps no append-only file (acknowledged messages could then be lost).
    /// </summary>
    public static async Task<RedisMessageStore> ConnectAsync(string configuration, MessageStoreSettings settings, string keyPrefix = DefaultKeyPrefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(configuration);
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        ArgumentNullException.ThrowIfNull(settings);
        Validate(settings);
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = true;
        var where = $"{string.Join(",", options.EndPoints)} (keys {keyPrefix}*)";
        ConnectionMultiplexer redis;
        try
        {
            redis = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        }
        catch (RedisConnectionException ex)
        {
            throw new StoreUnavailableException($"The Redis at {where} cannot be reached: {RedactPassword(ex.Message, options.Password)}", ex);
        }

        try
        {
            await CheckAsync(redis.GetDatabase(), keyPrefix, where).ConfigureAwait(false);
            return new RedisMessageStore(redis, ownsConnection: true, keyPrefix, settings, where);
        }
        catch
        {
            await redis.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The endpoints of a configuration string, what messages show of it (never its password); ArgumentException for a string that is not one.</summary>
    public static string DescribeEndpoints(string configuration) => string.Join(",", ConfigurationOptions.Parse(configuration).EndPoints);

    /// <summary><paramref name="text"/> (a command line) with the configuration string in it replaced by its endpoints and its password, wherever it is, by asterisks.</summary>
    public static string Redact(string text, string configuration)
    {
        ArgumentNullException.ThrowIfNull(text);
        var options = ConfigurationOptions.Parse(configuration);
        return RedactPassword(text.Replace(configuration, DescribeEndpoints(configuration), StringComparison.Ordinal), options.Password);
    }

    public ValueTask AppendAsync(ChatMessage message, string? queueFor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Volatile.Read(ref _refused) is { } refused)
        {
            return ValueTask.FromException(new StoreUnavailableException(refused.Message, refused));
        }

        var queued = queueFor?.ToLowerInvariant();
        var conversation = message.Conversation;
        RedisValue[] args =
        [
            _prefix, conversation.Id, message.MessageId, MessageEntries.Milliseconds(message.SentAt),
            queued ?? "", _settings.OfflineQueueLimit, conversation.First ?? "", conversation.Second ?? "",
            _busNode, _busMaxLength, _busRun,
            .. MessageEntries.Fields(message, queued),
        ];

        // Sent now, before any await, so that appends go to Redis in the order of the calls.
        return new ValueTask(Call(_db.ScriptEvaluateAsync(StoreScripts.Append, values: args), cancellationToken));
    }

    public async ValueTask<HistoryPage> ReadHistoryAsync(ConversationKey conversation, HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        if ((query.Before is not null ? 1 : 0) + (query.After is not null ? 1 : 0) + (query.Since is not null ? 1 : 0) > 1)
        {
            throw new ArgumentException("A history query takes at most one of Before, After and Since.", nameof(query));
        }

        var (mode, at) = query switch
        {
            { Before: { } before } => ("before", before),
            { After: { } after } => ("after", after),
            { Since: { } from } => ("since", MessageEntries.Milliseconds(from)),
            _ => ("latest", ""),
        };
        var sinceTicks = query.Since is { } time ? MessageEntries.Ticks(time) : "";
        var result = await Call(_db.ScriptEvaluateAsync(StoreScripts.Page, values: [_prefix, conversation.Id, mode, at, query.Limit + 1, sinceTicks]), cancellationToken).ConfigureAwait(false);
        if (result.IsNull)
        {
            throw new UnknownMessageException(at);
        }

        var messages = ((RedisResult[])result!).Select(fields => MessageEntries.Read(conversation, fields)).ToList();
        var complete = messages.Count <= query.Limit;
        if (!complete)
        {
            messages.RemoveAt(messages.Count - 1);
        }

        // The newest-first reads were taken from the end backwards; a page is oldest first.
        if (mode is "latest" or "before")
        {
            messages.Reverse();
        }

        return new HistoryPage(messages, complete);
    }

    public async ValueTask<OfflineQueue> ReadOfflineAsync(string user, int max, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 0);
        var result = (RedisResult[])(await Call(_db.ScriptEvaluateAsync(StoreScripts.ReadOffline, values: [_prefix, UserName(user), max, after ?? ""]), cancellationToken).ConfigureAwait(false))!;
        var entries = (RedisResult[])result[2]!;
        var messages = new List<ChatMessage>(entries.Length / 2);
        for (var k = 0; k + 1 < entries.Length; k += 2)
        {
            messages.Add(MessageEntries.Read(MessageEntries.Conversation((string)entries[k]!), entries[k + 1]));
        }

        return new OfflineQueue(messages, Dropped: (long)result[0], Total: (long)result[1]);
    }

    public async ValueTask ConfirmOfflineAsync(string user, string upToMessageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(upToMessageId);
        await Call(_db.ScriptEvaluateAsync(StoreScripts.ConfirmOffline, values: [_prefix, UserName(user), upToMessageId]), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<RoomMembers>> ReadRoomsAsync(CancellationToken cancellationToken = default)
    {
        var rooms = await Call(_db.HashGetAllAsync(KeyOf("rooms")), cancellationToken).ConfigureAwait(false);
        var ordered = rooms.Select(r => (Key: (string)r.Name!, Name: (string)r.Value!)).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        var members = await Task.WhenAll(ordered.Select(r => Call(_db.SetMembersAsync(KeyOf("rm:" + r.Key)), cancellationToken))).ConfigureAwait(false);
        return ordered.Select((room, k) => new RoomMembers(room.Name, members[k].Select(m => (string)m!).Order(StringComparer.Ordinal).ToList())).ToList();
    }

    public async ValueTask<bool> AddMemberAsync(string room, string user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(user);
        var created = await Call(_db.ScriptEvaluateAsync(StoreScripts.AddMember, values: [_prefix, room.ToLowerInvariant(), room, UserName(user)]), cancellationToken).ConfigureAwait(false);
        return (long)created == 1;
    }

    public async ValueTask<bool> RemoveMemberAsync(string room, string user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(user);
        return await Call(_db.SetRemoveAsync(KeyOf("rm:" + room.ToLowerInvariant()), UserName(user)), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask MarkReadAsync(string user, ConversationKey conversation, string upToMessageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(upToMessageId);
        var marked = await Call(_db.ScriptEvaluateAsync(StoreScripts.MarkRead, values: [_prefix, UserName(user), conversation.Id, upToMessageId]), cancellationToken).ConfigureAwait(false);
        if ((long)marked != 1)
        {
            throw new UnknownMessageException(upToMessageId);
        }
    }

    /// <remarks>Unread counts stop at HistoryMaxPerConversation (no more can be kept), so a summary's work is bounded.</remarks>
    public async ValueTask<IReadOnlyList<ConversationSummary>> SummarizeAsync(string user, IReadOnlyCollection<ConversationKey> conversations, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(conversations);
        var name = UserName(user);
        var asked = conversations.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        var directs = (await Call(_db.SetMembersAsync(KeyOf("d:" + name)), cancellationToken).ConfigureAwait(false))
            .Select(d => (string)d!).Where(d => !asked.Contains(d)).Order(StringComparer.Ordinal).Select(MessageEntries.Conversation).ToList();
        var keys = conversations.Concat(directs).ToList();
        var results = await Task.WhenAll(keys.Select(key =>
            Call(_db.ScriptEvaluateAsync(StoreScripts.Summarize, values: [_prefix, name, key.Id, _settings.HistoryMaxPerConversation]), cancellationToken))).ConfigureAwait(false);
        var summaries = new List<ConversationSummary>(keys.Count);
        for (var k = 0; k < keys.Count; k++)
        {
            var fields = (RedisResult[])results[k]!;
            var lastId = (string?)fields[1];

            // A direct conversation is listed only while it has messages, as in the SQLite store.
            if (k >= conversations.Count && lastId is null)
            {
                continue;
            }

            DateTimeOffset? lastAt = fields[2].IsNull ? null : new DateTimeOffset(long.Parse((string)fields[2]!, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero);
            summaries.Add(new ConversationSummary(keys[k], (long)fields[3], (string?)fields[0], lastId, lastAt));
        }

        return summaries;
    }

    /// <summary>Queues the stored message <paramref name="messageId"/> of <paramref name="conversation"/> for <paramref name="user"/>, unless it is queued already; whether it was.</summary>
    internal async Task<bool> QueueStoredAsync(string user, string conversation, string messageId) =>
        (long)await Call(_db.ScriptEvaluateAsync(StoreScripts.QueueStored, values: [_prefix, UserName(user), conversation, messageId, _settings.OfflineQueueLimit]), CancellationToken.None).ConfigureAwait(false) == 1;

    /// <summary>The connection, for the cluster's backplane: one connection per node, so a message and its bus entry keep their order.</summary>
    internal IConnectionMultiplexer Connection => _redis;

    /// <summary>The store's database, shared by the backplane, the accounts and the login limits of the same node.</summary>
    internal IDatabase Database => _db;

    /// <summary>
    /// From now on every append also puts a bus entry of <paramref name="node"/> on the cluster's
    /// bus, in the same script, while <paramref name="run"/> (the node's heartbeat token) holds the name.
    /// </summary>
    internal void PublishAppendsAs(string node, int busMaxLength, string run)
    {
        _busMaxLength = busMaxLength;
        _busRun = run;
        _busNode = node;
    }

    /// <summary>
    /// Called when a script found the node's name held by another run of it (with the name's
    /// remaining lifetime), before the call fails: the backplane stops taking part at once.
    /// </summary>
    internal Action<TimeSpan>? NameTaken { get; set; }

    /// <summary>
    /// From now on appends fail with <paramref name="reason"/>: the node's backplane found its name
    /// taken by another node, and nothing more may go on the bus under it.
    /// </summary>
    internal void Refuse(Exception reason) => Volatile.Write(ref _refused, reason);

    /// <summary>Runs <paramref name="command"/>, every failure to reach Redis as a <see cref="StoreUnavailableException"/>.</summary>
    internal Task<T> CallAsync<T>(Task<T> command, CancellationToken cancellationToken = default) => Call(command, cancellationToken);

    /// <summary>Runs retention now, to the end, as the background loop does every <see cref="MessageStoreSettings.RetentionInterval"/>; how many messages it removed.</summary>
    internal Task<long> RunRetentionAsync(CancellationToken cancellationToken = default) => _retention.RunAsync(cancellationToken);

    /// <summary>Called after each background retention pass with the number removed (for tests).</summary>
    internal Action<long>? RetentionPassed
    {
        get => _retention.Passed;
        set => _retention.Passed = value;
    }

    /// <summary>Every conversation that has had messages.</summary>
    internal async Task<List<string>> ConversationsAsync(CancellationToken cancellationToken) =>
        (await Call(_db.SetMembersAsync(KeyOf("convs")), cancellationToken).ConfigureAwait(false)).Select(c => (string)c!).ToList();

    /// <summary>One batch of retention by age in <paramref name="conversation"/>; how many it removed.</summary>
    internal async Task<int> RemoveSentBeforeAsync(string conversation, DateTimeOffset cutoff, int batch, CancellationToken cancellationToken) =>
        (int)await Call(_db.ScriptEvaluateAsync(StoreScripts.RemoveSentBefore, values: [_prefix, conversation, MessageEntries.Ticks(cutoff), batch]), cancellationToken).ConfigureAwait(false);

    /// <summary>One batch of retention by count in <paramref name="conversation"/>; how many it removed.</summary>
    internal async Task<int> TrimAsync(string conversation, int keep, int batch, CancellationToken cancellationToken) =>
        (int)await Call(_db.ScriptEvaluateAsync(StoreScripts.Trim, values: [_prefix, conversation, keep, batch]), cancellationToken).ConfigureAwait(false);

    /// <summary>Stops retention, lets every command already sent finish, then closes the connection when it is the store's own.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _retention.DisposeAsync().ConfigureAwait(false);
        if (_ownsConnection)
        {
            await _redis.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            await _redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Makes the prefix hold this layout's version, and refuses a Redis that would lose acknowledged messages.
    private static async Task CheckAsync(IDatabase db, string keyPrefix, string where)
    {
        try
        {
            // INFO through a script: StackExchange.Redis sends INFO itself only in admin mode.
            var persistence = (string?)await db.ScriptEvaluateAsync("return redis.call('INFO', 'persistence')").ConfigureAwait(false) ?? "";
            if (!persistence.Contains("aof_enabled:1", StringComparison.Ordinal))
            {
                throw new MessageStoreFormatException(where, "Redis keeps no append-only file, so it could lose messages already acknowledged to their senders; run it with appendonly yes (and appendfsync always, docs/CLUSTER.md).");
            }

            var versionKey = keyPrefix + "version";
            await db.StringSetAsync(versionKey, LayoutVersion, when: When.NotExists).ConfigureAwait(false);
            var version = (string?)await db.StringGetAsync(versionKey).ConfigureAwait(false);
            if (version != LayoutVersion)
            {
                throw new MessageStoreFormatException(where, $"it holds PeerChat data of layout version '{version}' in {versionKey}; this PeerChat reads version {LayoutVersion}.");
            }
        }
        catch (Exception ex) when (IsUnavailable(ex) || ex is RedisServerException)
        {
            throw new StoreUnavailableException($"The Redis at {where} cannot be used: {ex.Message}", ex);
        }
    }

    private async Task<T> Call<T>(Task<T> command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("PCDUPLICATE", StringComparison.Ordinal))
        {
            throw new ArgumentException($"The message is already stored ({ex.Message}).", ex);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("PCNODEINUSE", StringComparison.Ordinal))
        {
            // Nothing was written: another run of this node holds the name (Refuse sets the reason).
            NameTaken?.Invoke(TimeSpan.FromMilliseconds(NameTakenFor(ex.Message)));
            var reason = Volatile.Read(ref _refused) ?? ex;
            throw new StoreUnavailableException(reason.Message, reason);
        }
        catch (Exception ex) when (RedisErrors.IsError(ex))
        {
            // Still a StoreUnavailableException (the request was not done), but said as what it is.
            throw new StoreUnavailableException($"The message store on Redis at {Where} failed: {RedisErrors.Describe(ex)}", ex);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw new StoreUnavailableException($"The message store on Redis at {Where} is unavailable: {ex.Message}", ex);
        }
    }

    private static bool IsUnavailable(Exception ex) => RedisErrors.IsUnreachable(ex);

    // The name's remaining milliseconds in "PCNODEINUSE <ms>" (-1 when it has no expiry).
    private static long NameTakenFor(string message)
    {
        var after = message[(message.IndexOf("PCNODEINUSE", StringComparison.Ordinal) + "PCNODEINUSE".Length)..].TrimStart();
        var digits = after.Split(' ', 2)[0];
        return long.TryParse(digits, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? Math.Max(0, ms) : 0;
    }

    private RedisKey KeyOf(string name) => KeyPrefix + name;

    // User names are ASCII (PasswordRules), so invariant lower case is exact.
    private static string UserName(string user) => user.ToLowerInvariant();

    private static string RedactPassword(string message, string? password) =>
        string.IsNullOrEmpty(password) ? message : message.Replace(password, "*****", StringComparison.Ordinal);

    private static void Validate(MessageStoreSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.HistoryMaxAge, TimeSpan.Zero, nameof(settings.HistoryMaxAge));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.HistoryMaxPerConversation, 1, nameof(settings.HistoryMaxPerConversation));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.OfflineQueueLimit, 1, nameof(settings.OfflineQueueLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.RetentionBatch, 1, nameof(settings.RetentionBatch));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.RetentionInterval, TimeSpan.Zero, nameof(settings.RetentionInterval));
        ArgumentNullException.ThrowIfNull(settings.TimeProvider, nameof(settings.TimeProvider));
    }
}
