namespace PeerChat.Core.Chat;

/// <summary>
/// How long a store keeps what it holds. Retention runs in the background in small batches, so
/// that it never holds up a writer for long.
/// </summary>
public sealed record MessageStoreSettings
{
    /// <summary>Messages older than this are removed.</summary>
    public TimeSpan HistoryMaxAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Each conversation keeps at most this many messages, the newest.</summary>
    public int HistoryMaxPerConversation { get; init; } = 10_000;

    /// <summary>Each user's offline queue holds at most this many messages; past it the oldest is dropped and counted.</summary>
    public int OfflineQueueLimit { get; init; } = 1000;

    /// <summary>The most a store file may grow to, in bytes; null for no cap but the disk's. Past it writes fail with <see cref="StoreUnavailableException"/>.</summary>
    public long? MaxSizeBytes { get; init; }

    /// <summary>How often retention runs, and how many messages one batch removes at most.</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The most messages one batch of retention removes.</summary>
    public int RetentionBatch { get; init; } = 1000;

    /// <summary>The clock of message ages.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
