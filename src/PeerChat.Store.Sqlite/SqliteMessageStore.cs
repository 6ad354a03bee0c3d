using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;

namespace PeerChat.Store.Sqlite;

/// <summary>
/// The embedded message store: one SQLite file in WAL mode, written by one writer that commits in
/// groups (<see cref="StoreWriter"/>), read by read-only connections that never wait for it, and
/// kept within its retention by a background loop (<see cref="Retention"/>). A lock file beside it
/// keeps a second store, in this process or another, from opening it.
/// </summary>
public sealed class SqliteMessageStore : IMessageStore
{
    private readonly MessageStoreSettings _settings;
    private readonly FileStream _lock;
    private readonly StoreWriter _writer;
    private readonly ReaderPool _readers;
    private readonly int _maxReaders;
    private readonly Retention _retention;
    private int _disposed;

    private SqliteMessageStore(string path, MessageStoreSettings settings, FileStream fileLock, SqliteConnection writer)
    {
        Path = path;
        _settings = settings;
        _lock = fileLock;
        _writer = new StoreWriter(path, settings, writer);
        _maxReaders = Math.Max(4, Environment.ProcessorCount * 2);
        _readers = new ReaderPool(path, _maxReaders);
        _retention = new Retention(_writer, _readers, settings);
    }

    /// <summary>The store file's full path.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the store at <paramref name="path"/>, creating it (and its folder) when missing.
    /// Throws <see cref="MessageStoreFormatException"/> for a file that is not a PeerChat store or
    /// is damaged (left untouched: it is only looked at, read-only, before anything is written) and
    /// <see cref="MessageStoreInUseException"/> when another store has it open.
    /// </summary>
    public static SqliteMessageStore Open(string path, MessageStoreSettings settings)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(settings);
        Validate(settings);
        path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var fileLock = Lock(path);
        SqliteConnection? writer = null;
        try
        {
            var exists = StoreSchema.Inspect(path);
            writer = Connections.OpenWriter(path, settings.MaxSizeBytes);
            if (!exists)
            {
                StoreSchema.CreateIn(writer);
            }

            return new SqliteMessageStore(path, settings, fileLock, writer);
        }
        catch (SqliteException ex)
        {
            writer?.Dispose();
            fileLock.Dispose();
            throw Connections.IsUnavailable(ex)
                ? new StoreUnavailableException($"The message store '{path}' cannot be opened: {ex.Message}", ex)
                : new MessageStoreFormatException(path, $"SQLite refused it ({ex.Message}).", ex);
        }
        catch
        {
            writer?.Dispose();
            fileLock.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Appends called one after another, without waiting for the first to complete, are stored in the order of the calls.</remarks>
    public ValueTask AppendAsync(ChatMessage message, string? queueFor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);

        // Not an async method: the writer's operation as it is, without a state machine per message
        // (a Task only when the wait can be cancelled).
        var appending = _writer.Append(message, queueFor);
        return cancellationToken.CanBeCanceled ? new ValueTask(appending.AsTask().WaitAsync(cancellationToken)) : appending;
    }

    public async ValueTask ConfirmOfflineAsync(string user, string upToMessageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(upToMessageId);
        await _writer.Enqueue(w => w.ConfirmOffline(Key(user), upToMessageId)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> AddMemberAsync(string room, string user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(user);
        return await _writer.Enqueue(w => w.AddMember(room, Key(user))).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<bool> RemoveMemberAsync(string room, string user, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(room);
        ArgumentException.ThrowIfNullOrEmpty(user);
        return await _writer.Enqueue(w => w.RemoveMember(room, Key(user))).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask MarkReadAsync(string user, ConversationKey conversation, string upToMessageId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentException.ThrowIfNullOrEmpty(upToMessageId);
        await _writer.Enqueue(w => w.MarkRead(Key(user), conversation, upToMessageId)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<HistoryPage> ReadHistoryAsync(ConversationKey conversation, HistoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        if ((query.Before is not null ? 1 : 0) + (query.After is not null ? 1 : 0) + (query.Since is not null ? 1 : 0) > 1)
        {
            throw new ArgumentException("A history query takes at most one of Before, After and Since.", nameof(query));
        }

        return _readers.ReadAsync(db => HistoryReads.ReadPage(db, conversation, query), cancellationToken);
    }

    public ValueTask<OfflineQueue> ReadOfflineAsync(string user, int max, string? after = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 0);
        return _readers.ReadAsync(db => HistoryReads.ReadOffline(db, Key(user), max, after), cancellationToken);
    }

    public ValueTask<IReadOnlyList<RoomMembers>> ReadRoomsAsync(CancellationToken cancellationToken = default) =>
        _readers.ReadAsync(HistoryReads.ReadRooms, cancellationToken);

    public ValueTask<IReadOnlyList<ConversationSummary>> SummarizeAsync(string user, IReadOnlyCollection<ConversationKey> conversations, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(conversations);
        return _readers.ReadAsync(db => HistoryReads.Summarize(db, Key(user), conversations, _settings.HistoryMaxPerConversation), cancellationToken);
    }

    /// <summary>Runs retention now, to the end (every batch), as the background loop does every <see cref="MessageStoreSettings.RetentionInterval"/>; how many messages it removed.</summary>
    internal Task<long> RunRetentionAsync(CancellationToken cancellationToken = default) => _retention.RunAsync(cancellationToken);

    /// <summary>Called after each background retention pass with the number removed (for tests).</summary>
    internal Action<long>? RetentionPassed
    {
        get => _retention.Passed;
        set => _retention.Passed = value;
    }

    internal StoreWriter Writer => _writer;

    /// <summary>Finishes every write already asked for, then closes the file (the last connection out folds the WAL back into it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _retention.DisposeAsync().ConfigureAwait(false);
        _writer.Complete();
        await _writer.Stopped.ConfigureAwait(false);
        _readers.Dispose();
        _writer.Dispose();
        await _lock.DisposeAsync().ConfigureAwait(false);
    }

    // User names are ASCII (PasswordRules), so invariant lower case is exact.
    private static string Key(string user) => user.ToLowerInvariant();

    private static void Validate(MessageStoreSettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.HistoryMaxAge, TimeSpan.Zero, nameof(settings.HistoryMaxAge));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.HistoryMaxPerConversation, 1, nameof(settings.HistoryMaxPerConversation));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.OfflineQueueLimit, 1, nameof(settings.OfflineQueueLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.RetentionBatch, 1, nameof(settings.RetentionBatch));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.RetentionInterval, TimeSpan.Zero, nameof(settings.RetentionInterval));
        ArgumentNullException.ThrowIfNull(settings.TimeProvider, nameof(settings.TimeProvider));

        // Below a few pages SQLite cannot even hold the tables.
        if (settings.MaxSizeBytes is < 64 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.MaxSizeBytes, "MaxSizeBytes must be at least 64 KiB.");
        }
    }

    // FileShare.None: an advisory flock on Unix, a sharing lock on Windows. Held while the store is
    // open; a second store fails at once rather than waiting, since the first may run for months.
    private static FileStream Lock(string path)
    {
        var lockPath = path + ".lock";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            return new FileStream(lockPath, options);
        }
        catch (IOException ex)
        {
            throw new MessageStoreInUseException(path, ex);
        }
    }
}
