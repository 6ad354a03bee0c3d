using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using PeerChat.Core.Tests.Support;
using Xunit.Abstractions;

namespace PeerChat.Core.Tests;

/// <summary>
/// A server with a message store killed with SIGKILL while its clients send, again and again; the
/// history is then read back through a new server process on the same files. It loads the machine
/// (a child process per kill and per read), so it runs alone.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class ServerKillTests(ITestOutputHelper output)
{
    private const int Senders = 3;
    private const int Kills = 6;
    private static readonly string[] Conversations = ["*", "#r"];

    [Fact]
    public async Task ServerKilledWithSigkillWhileClientsSend_KeepsEveryAcknowledgedMessageOnceInOrder()
    {
        using var folder = new TemporaryFolder();
        var messages = Path.Combine(folder.Path, "messages.db");
        var users = Path.Combine(folder.Path, "users.csv");
        var seed = Environment.TickCount;
        var random = new Random(seed);
        // acknowledged[(sender, conversation)]: message ids in the order the sender got `sent`.
        var acknowledged = new Dictionary<(int, string), List<string>>();
        for (var sender = 0; sender < Senders; sender++)
        {
            foreach (var conversation in Conversations)
            {
                acknowledged[(sender, conversation)] = [];
            }
        }

        for (var kill = 0; kill < Kills; kill++)
        {
            using var child = StartHost("server", messages, users, Senders.ToString(CultureInfo.InvariantCulture));
            Assert.Equal("READY", await child.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience));

            // After a random number of receipts plus a random part of the next, so that the kill
            // lands anywhere: mid-frame, mid-group, mid-commit.
            for (var acks = random.Next(1, 300); acks > 0; acks--)
            {
                Acknowledge(await child.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience));
            }

            await Task.Delay(TimeSpan.FromMicroseconds(random.Next(0, 3000)));
            child.Kill();
            await child.WaitForExitAsync().WaitAsync(TestServer.Patience);
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                // A line cut by the kill is not a receipt the test can count on.
                if (line.Split(' ').Length == 4)
                {
                    Acknowledge(line);
                }
            }

            Assert.Equal("ok", IntegrityCheck(messages));
            var history = await ReadHistoryAsync(messages, users);
            foreach (var conversation in Conversations)
            {
                var stored = history.Where(h => h.Conversation == conversation).Select(h => h.Id).ToList();
                Assert.True(stored.Count == stored.Distinct().Count(), $"kill {kill} (seed {seed}): {conversation} holds a message twice");
                var positions = stored.Select((id, i) => (id, i)).ToDictionary(p => p.id, p => p.i);
                for (var sender = 0; sender < Senders; sender++)
                {
                    var sent = acknowledged[(sender, conversation)];
                    var missing = sent.Where(id => !positions.ContainsKey(id)).ToList();
                    Assert.True(missing.Count == 0, $"kill {kill} (seed {seed}) lost acknowledged messages of s{sender} in {conversation}: {string.Join(", ", missing)}");
                    var order = sent.Select(id => positions[id]).ToList();
                    Assert.True(order.SequenceEqual(order.Order()), $"kill {kill} (seed {seed}): s{sender}'s messages in {conversation} are out of order");
                }
            }
        }

        output.WriteLine($"{Kills} kills (seed {seed}): {acknowledged.Values.Sum(a => a.Count)} acknowledged messages, all in the history once and in order.");

        void Acknowledge(string? line)
        {
            Assert.NotNull(line);
            var parts = line.Split(' ');
            Assert.Equal("ACK", parts[0]);
            acknowledged[(int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2])].Add(parts[3]);
        }
    }

    private static Process StartHost(params string[] arguments) =>
        Process.Start(new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "PeerChat.FaultHost.dll"), .. arguments])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;

    private static async Task<List<(string Conversation, string Id)>> ReadHistoryAsync(string messages, string users)
    {
        using var reader = StartHost("history", messages, users);
        var history = new List<(string, string)>();
        for (var lines = 0; lines < 1_000_000; lines++)
        {
            var line = await reader.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience);
            Assert.NotNull(line);
            if (line == "END")
            {
                break;
            }

            var parts = line.Split(' ');
            Assert.Equal("HIST", parts[0]);
            history.Add((parts[1], parts[2]));
        }

        await reader.WaitForExitAsync().WaitAsync(TestServer.Patience);
        Assert.Equal(0, reader.ExitCode);
        return history;
    }

    private static string IntegrityCheck(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
