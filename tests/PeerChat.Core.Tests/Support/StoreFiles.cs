using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Chat;
using PeerChat.Store.Sqlite;

namespace PeerChat.Core.Tests.Support;

/// <summary>Real SQLite message stores in a test's temp folder, and messages to put in them.</summary>
public static class StoreFiles
{
    /// <summary>
    /// A retention interval longer than any test moves its clock (and within what a timer takes):
    /// a test that runs retention itself must not race the store's own pass, which the clock's
    /// moves would otherwise set off.
    /// </summary>
    public static readonly TimeSpan NoBackgroundRetention = TimeSpan.FromDays(45);

    /// <summary>A clock that moves only when a test moves it, set to a fixed day.</summary>
    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));

    public static SqliteMessageStore Open(TemporaryFolder folder, MessageStoreSettings? settings = null, string name = "messages.db") =>
        SqliteMessageStore.Open(Path.Combine(folder.Path, name), settings ?? new MessageStoreSettings { TimeProvider = Clock() });

    public static ChatMessage Message(ConversationKey conversation, string from, string text, DateTimeOffset? sentAt = null, string? to = null) =>
        new(MessageIds.Next(), conversation, from, "c1", to, text, Data: null, DirectId: null, sentAt ?? DateTimeOffset.UtcNow);

    public static ChatMessage Direct(string from, string to, string text, DateTimeOffset? sentAt = null) =>
        Message(ConversationKey.Direct(from, to), from, text, sentAt, to);

    /// <summary>
    /// Appends <paramref name="count"/> messages to one conversation, in order, without waiting for
    /// each commit (the SQLite store keeps call order; one fsync per group, not per message); their ids.
    /// </summary>
    public static async Task<List<string>> FillAsync(IMessageStore store, ConversationKey conversation, int count, string from = "alice", DateTimeOffset? sentAt = null)
    {
        var messages = Enumerable.Range(0, count).Select(i => Message(conversation, from, $"message {i}", sentAt)).ToList();
        await Task.WhenAll(messages.Select(m => store.AppendAsync(m).AsTask()).ToList());
        return messages.Select(m => m.MessageId).ToList();
    }

    public static string Sha256(string path) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
}
