using System.Diagnostics;
using Microsoft.Data.Sqlite;
using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;
using Xunit.Abstractions;

namespace PeerChat.Core.Tests;

/// <summary>
/// The message store killed with SIGKILL while it appends, again and again. It loads the machine
/// (a child process per kill), so it runs alone.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class MessageStoreKillTests(ITestOutputHelper output)
{
    private const int Senders = 4;

    [Fact]
    public async Task AppendersKilledWithSigkill20Times_NeverLoseAnAcknowledgedMessage_NorStoreOneTwice()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "messages.db");
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var acknowledged = Enumerable.Range(0, Senders).Select(_ => new List<string>()).ToArray();
        var host = Path.Combine(AppContext.BaseDirectory, "PeerChat.FaultHost.dll");

        for (var kill = 0; kill < 20; kill++)
        {
            using var child = Process.Start(new ProcessStartInfo("dotnet", [host, "store", path, Senders.ToString(System.Globalization.CultureInfo.InvariantCulture), "100000"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            Assert.Equal("READY", await child.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience));

            // After a random number of acknowledged appends, plus a random fraction of the next
            // group, so that the kill lands anywhere in the write path: mid-group, mid-commit, mid-checkpoint.
            for (var acks = random.Next(1, 400); acks > 0; acks--)
            {
                Acknowledge(await child.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience));
            }

            await Task.Delay(TimeSpan.FromMicroseconds(random.Next(0, 3000)));
            child.Kill();
            await child.WaitForExitAsync().WaitAsync(TestServer.Patience);
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                Acknowledge(line);
            }

            Assert.Equal("ok", IntegrityCheck(path));
            await using var store = SqliteMessageStore.Open(path, new MessageStoreSettings());
            for (var sender = 0; sender < Senders; sender++)
            {
                var stored = await ReadAllAsync(store, ConversationKey.ForRoom($"r{sender}"));
                Assert.True(stored.Count == stored.Distinct().Count(), $"kill {kill} (seed {seed}): room r{sender} holds a message twice");

                // Each sender waited for each append: its acknowledged messages are stored in that
                // order, with at most the one it was waiting for between them (stored, not yet acknowledged).
                var positions = stored.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
                var missing = acknowledged[sender].Where(id => !positions.ContainsKey(id)).ToList();
                Assert.True(missing.Count == 0, $"kill {kill} (seed {seed}) lost acknowledged messages of r{sender}: {string.Join(", ", missing)}");
                var order = acknowledged[sender].Select(id => positions[id]).ToList();
                Assert.True(order.SequenceEqual(order.Order()), $"kill {kill} (seed {seed}): r{sender} is out of order");
                Assert.True(stored.Count - acknowledged[sender].Count <= kill + 1, $"kill {kill} (seed {seed}): r{sender} holds {stored.Count} messages for {acknowledged[sender].Count} acknowledged");
            }
        }

        output.WriteLine($"20 kills (seed {seed}): {acknowledged.Sum(a => a.Count)} acknowledged appends, all present once and in order.");

        void Acknowledge(string? line)
        {
            Assert.NotNull(line);
            var parts = line.Split(' ');
            Assert.Equal("ACK", parts[0]);
            acknowledged[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)].Add(parts[2]);
        }
    }

    private static string IntegrityCheck(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }

    private static async Task<List<string>> ReadAllAsync(IMessageStore store, ConversationKey room)
    {
        var ids = new List<string>();
        var page = await store.ReadHistoryAsync(room, new HistoryQuery(1000, Since: DateTimeOffset.MinValue));
        ids.AddRange(page.Messages.Select(m => m.MessageId));
        for (var pages = 0; !page.Complete && pages < 10_000; pages++)
        {
            page = await store.ReadHistoryAsync(room, new HistoryQuery(1000, After: ids[^1]));
            ids.AddRange(page.Messages.Select(m => m.MessageId));
        }

        return ids;
    }
}
