using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;

namespace PeerChat.Core.Tests;

/// <summary>
/// The message store when things go wrong: files that are not its own or are damaged (refused and
/// left byte for byte as they were), a second store on one file, and a full store.
/// </summary>
public sealed class MessageStoreFaultTests
{
    [Fact]
    public void AFileThatIsNotADatabase_IsRefused_AndLeftUntouched()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "messages.db");
        File.WriteAllText(path, "alice,PBKDF2$...\nthis is somebody's text file, not a database\n");
        var before = StoreFiles.Sha256(path);

        var refused = Assert.Throws<MessageStoreFormatException>(() => SqliteMessageStore.Open(path, new MessageStoreSettings()));

        Assert.Contains("not a SQLite database", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreFiles.Sha256(path));
        Assert.Equal(path, refused.Path);
    }

    [Fact]
    public void AnotherApplicationsDatabase_IsRefused_AndLeftUntouched()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "messages.db");
        using (var other = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices(total) VALUES (12.5);";
            command.ExecuteNonQuery();
        }

        var before = StoreFiles.Sha256(path);

        var refused = Assert.Throws<MessageStoreFormatException>(() => SqliteMessageStore.Open(path, new MessageStoreSettings()));

        Assert.Contains("another application", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreFiles.Sha256(path));
        Assert.False(File.Exists(path + "-wal"), "a WAL file was created beside it");
    }

    [Fact]
    public async Task ADamagedStore_IsRefused_AndLeftUntouched()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "messages.db");
        await using (var store = StoreFiles.Open(folder))
        {
            await StoreFiles.FillAsync(store, ConversationKey.ForRoom("ops"), 2000);
        }

        // Garbage over a page in the middle of the file, as a bad sector or a stray write leaves it.
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            Assert.True(file.Length > 40 * 4096, $"the store is only {file.Length} bytes");
            file.Position = 30 * 4096;
            file.Write(Enumerable.Range(0, 4096).Select(i => (byte)(i * 7 % 251)).ToArray());
        }

        var before = StoreFiles.Sha256(path);

        var refused = Assert.Throws<MessageStoreFormatException>(() => StoreFiles.Open(folder));

        Assert.Contains("damaged", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreFiles.Sha256(path));
    }

    [Fact]
    public async Task AStoreOfANewerPeerChat_IsRefused_AndLeftUntouched()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "messages.db");
        await using (StoreFiles.Open(folder))
        {
        }

        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }

        var before = StoreFiles.Sha256(path);

        var refused = Assert.Throws<MessageStoreFormatException>(() => StoreFiles.Open(folder));

        Assert.Contains("newer PeerChat", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, StoreFiles.Sha256(path));
    }

    [Fact]
    public async Task ASecondStoreOnOneFile_FailsClearly_AndTheFirstGoesOn()
    {
        using var folder = new TemporaryFolder();
        await using var first = StoreFiles.Open(folder);
        await first.AppendAsync(StoreFiles.Message(ConversationKey.Everyone, "alice", "before"));

        var refused = Assert.Throws<MessageStoreInUseException>(() => StoreFiles.Open(folder));
        await first.AppendAsync(StoreFiles.Message(ConversationKey.Everyone, "alice", "after"));
        await first.DisposeAsync();
        await using var reopened = StoreFiles.Open(folder);
        var page = await reopened.ReadHistoryAsync(ConversationKey.Everyone, new HistoryQuery(10));

        Assert.Contains("already in use", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["before", "after"], page.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task AFullStore_FailsAppendsWithStoreUnavailable_KeepsReading_AndResumesOnceRetentionFreesSpace()
    {
        using var folder = new TemporaryFolder();
        var clock = StoreFiles.Clock();
        var settings = new MessageStoreSettings { MaxSizeBytes = 256 * 1024, HistoryMaxAge = TimeSpan.FromDays(1), RetentionInterval = StoreFiles.NoBackgroundRetention, TimeProvider = clock };
        await using var store = StoreFiles.Open(folder, settings);
        var ops = ConversationKey.ForRoom("ops");
        var text = new string('x', 2000);
        var stored = new List<string>();
        StoreUnavailableException? full = null;
        for (var i = 0; i < 1000 && full is null; i++)
        {
            var message = StoreFiles.Message(ops, "alice", text, clock.GetUtcNow());
            try
            {
                await store.AppendAsync(message);
                stored.Add(message.MessageId);
            }
            catch (StoreUnavailableException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);
        Assert.Contains("full", full.Message, StringComparison.Ordinal);
        Assert.True(stored.Count > 20, $"only {stored.Count} messages fitted");

        // Still full: a group of several fails whole, and reading goes on.
        var stillFull = await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            try
            {
                await store.AppendAsync(StoreFiles.Message(ops, "bob", text, clock.GetUtcNow()));
                return false;
            }
            catch (StoreUnavailableException)
            {
                return true;
            }
        }));
        var page = await store.ReadHistoryAsync(ops, new HistoryQuery(200));
        Assert.All(stillFull, Assert.True);
        Assert.Equal(stored, page.Messages.Select(m => m.MessageId));

        clock.Advance(TimeSpan.FromDays(2));
        var removed = await store.RunRetentionAsync();
        var resumed = StoreFiles.Message(ops, "carol", text, clock.GetUtcNow());
        await store.AppendAsync(resumed);
        var after = await store.ReadHistoryAsync(ops, new HistoryQuery(200));

        Assert.Equal(stored.Count, removed);
        Assert.Equal([resumed], after.Messages);
    }

    [Fact]
    public async Task AFullStore_StillTakesConfirmationsAndLeaves_WhichFreeRatherThanTakeSpace()
    {
        using var folder = new TemporaryFolder();
        var settings = new MessageStoreSettings { MaxSizeBytes = 256 * 1024, TimeProvider = StoreFiles.Clock() };
        await using var store = StoreFiles.Open(folder, settings);
        await store.AddMemberAsync("ops", "bob");
        var text = new string('y', 1500);
        var full = false;
        for (var i = 0; i < 1000 && !full; i++)
        {
            try
            {
                await store.AppendAsync(StoreFiles.Direct("alice", "bob", text), queueFor: "bob");
            }
            catch (StoreUnavailableException)
            {
                full = true;
            }
        }

        Assert.True(full, "the store never filled up");
        var queue = await store.ReadOfflineAsync("bob", 1000);

        // Asked for together, so that they share groups with appends that cannot be stored.
        var before = Enumerable.Range(0, 20).Select(_ => store.AppendAsync(StoreFiles.Direct("alice", "bob", text)).AsTask()).ToList();
        var confirm = store.ConfirmOfflineAsync("bob", queue.Messages[^1].MessageId).AsTask();
        var leave = store.RemoveMemberAsync("ops", "bob").AsTask();
        var after = Enumerable.Range(0, 20).Select(_ => store.AppendAsync(StoreFiles.Direct("alice", "bob", text)).AsTask()).ToList();
        await confirm;
        var left = await leave;
        foreach (var append in before.Concat(after))
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => append);
        }

        Assert.True(queue.Total > 20, $"only {queue.Total} messages fitted");
        Assert.Equal(0, (await store.ReadOfflineAsync("bob", 1000)).Total);
        Assert.True(left);
    }
}
