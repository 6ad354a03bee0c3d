using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;

namespace PeerChat.Core.Tests;

/// <summary>
/// The writer's group commit under load, where it lingers for bigger groups and tells a group's
/// callers from the thread pool: still no caller hears of its write before the group is committed.
/// </summary>
public sealed class MessageStoreGroupCommitTests
{
    private static readonly ConversationKey Ops = ConversationKey.ForRoom("ops");

    [Fact]
    public async Task UnderLoad_AnAppendCompletes_OnlyOnceAnotherConnectionCanReadIt()
    {
        using var folder = new TemporaryFolder();
        await using var store = StoreFiles.Open(folder);
        var unseen = new ConcurrentBag<string>();

        // 16 senders with 8 appends each in flight: groups well past the size at which the writer lingers.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(sender => Task.Run(async () =>
        {
            // A connection of its own: in WAL mode it reads only what is committed.
            using var reader = new SqliteConnection($"Data Source={store.Path};Mode=ReadOnly;Pooling=False");
            reader.Open();
            using var lookup = reader.CreateCommand();
            lookup.CommandText = "SELECT count(*) FROM messages WHERE message_id = $id";
            var id = lookup.Parameters.Add("$id", SqliteType.Text);
            for (var round = 0; round < 25; round++)
            {
                var messages = Enumerable.Range(0, 8).Select(i => StoreFiles.Message(Ops, $"user{sender}", $"{round}.{i}")).ToList();
                var appends = messages.Select(m => store.AppendAsync(m).AsTask()).ToList();
                foreach (var (message, append) in messages.Zip(appends))
                {
                    await append;
                    id.Value = message.MessageId;
                    if ((long)lookup.ExecuteScalar()! != 1)
                    {
                        unseen.Add(message.MessageId);
                    }
                }
            }
        })));

        Assert.Empty(unseen);

        // The appends shared commits (3,200 of them): more than 8 to a group on average.
        Assert.InRange(store.Writer.GroupsCommitted, 1, 3200 / 8);
    }

    [Fact]
    public async Task Disposing_FinishesOnlyOnceEveryCallerIsTold()
    {
        using var folder = new TemporaryFolder();
        var store = StoreFiles.Open(folder);
        var appends = Enumerable.Range(0, 500).Select(i => store.AppendAsync(StoreFiles.Message(Ops, "alice", $"{i}")).AsTask()).ToList();

        await store.DisposeAsync();

        Assert.All(appends, append => Assert.True(append.IsCompletedSuccessfully));
    }
}
