using System.Net;
using PeerChat.Core.Server;

namespace PeerChat.Core.Tests;

/// <summary>The server's table of connections, which its sweeps and its stop visit.</summary>
[Trait("Category", "Unit")]
public sealed class ConnectionTableTests
{
    [Fact]
    public void AVisit_SeesEveryConnectionHeld_ThroughGrowthAndRemovals_EachOnce()
    {
        var table = new ConnectionTable();
        var connections = Enumerable.Range(0, 300).Select(i => new Listed($"c{i}")).ToList();
        foreach (var connection in connections)
        {
            table.Add(connection);
        }

        // Every third removed, some twice: a second removal (an end reported twice) changes nothing.
        var removed = connections.Where((_, i) => i % 3 == 0).ToList();
        foreach (var connection in removed.Concat(removed.Take(10)))
        {
            table.Remove(connection);
        }

        var visited = Visit(table);

        Assert.Equal(connections.Except(removed).Select(c => c.ClientId).Order(), visited.Order());
        Assert.All(removed, c => Assert.Equal(-1, c.TableSlot));
    }

    [Fact]
    public void FreedSlots_AreTakenAgain_SoTheTableDoesNotGrowWithChurn()
    {
        var table = new ConnectionTable();
        var held = Enumerable.Range(0, 10).Select(i => new Listed($"held{i}")).ToList();
        held.ForEach(table.Add);
        var highestSlot = held.Max(c => c.TableSlot);

        // 1,000 connections that come and go, as clients reconnecting would.
        for (var i = 0; i < 1_000; i++)
        {
            var passing = new Listed($"passing{i}");
            table.Add(passing);
            Assert.True(passing.TableSlot <= highestSlot + 1, $"connection {i} took slot {passing.TableSlot}");
            table.Remove(passing);
        }

        Assert.Equal(held.Select(c => c.ClientId).Order(), Visit(table).Order());
    }

    [Fact]
    public void Removing_AConnectionNeverAdded_LeavesTheOneInItsSlotAlone()
    {
        var table = new ConnectionTable();
        var listed = new Listed("listed");
        table.Add(listed);
        var stranger = new Listed("stranger") { TableSlot = listed.TableSlot };

        table.Remove(stranger);

        Assert.Equal(["listed"], Visit(table));
    }

    private static List<string> Visit(ConnectionTable table)
    {
        var visited = new List<string>();
        foreach (var connection in table)
        {
            visited.Add(connection.ClientId);
        }

        return visited;
    }

    // A connection as the table sees it: only its id and slot matter here.
    private sealed class Listed(string clientId) : IServerConnection
    {
        public string ClientId => clientId;

        public int TableSlot { get; set; } = -1;

        public string Address => "127.0.0.1:1";

        public IPAddress AddressGroup => IPAddress.Loopback;

        public Task RunAsync() => Task.CompletedTask;

        public void CheckWriteDeadline(long nowTimestamp)
        {
        }

        public void CheckIdleWindow(long nowTicks)
        {
        }

        public void RequestShutdown()
        {
        }

        public void Abort(string reason)
        {
        }
    }
}
