using PeerChat.Core.Client;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// A direct message relayed to a user who logs out on another node at that instant (docs/CLUSTER.md,
/// "Presence and sessions"): the sender's node still saw them online there and did not queue it, so
/// the node that no longer holds them queues it. Delivered or queued, never only in the history.
/// </summary>
public sealed class ClusterLogoutRaceTests
{
    private const int Rounds = 12;
    private const int PerRound = 25;

    [RedisFact]
    public async Task DirectMessagesRacingTheRecipientsLogoutOnAnotherNode_AreEachDeliveredOrQueued()
    {
        await using var cluster = await TestCluster.StartAsync(2);
        var alice = await cluster.Nodes[0].LoginAsync("alice");
        var acknowledged = new List<string>();
        var got = new HashSet<string>(StringComparer.Ordinal);
        for (var round = 0; round < Rounds; round++)
        {
            var bob = await cluster.Nodes[1].LoginAsync("bob");
            await cluster.WaitUntilAsync(() => cluster.Nodes[0].Server.Chat.IsOnline("bob"), "node A sees bob online");

            // Alice sends on while bob logs out: some reach him, some find him gone on node B
            // before node A knows, the rest are queued by node A.
            var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var sending = Task.Run(async () =>
            {
                var ids = new List<string>();
                for (var i = 0; i < PerRound; i++)
                {
                    ids.Add((await alice.SendAsync("bob", $"{round}.{i}", route: RoutePreference.Relay)).MessageId);
                    first.TrySetResult();
                }

                return ids;
            });
            await first.Task.WaitAsync(TestServer.Patience);
            await bob.LogoutAsync();
            acknowledged.AddRange(await sending.WaitAsync(TestServer.Patience));
            got.UnionWith(await ReceivedAsync(bob));
        }

        // The queued ones come at the next login (each round's login has taken the earlier ones).
        await cluster.WaitUntilAsync(() => !cluster.Nodes[0].Server.Chat.IsOnline("bob"), "node A sees bob offline");
        var last = await cluster.Nodes[1].LoginAsync("bob");
        got.UnionWith(await QueuedAtLoginAsync(last));

        var lost = acknowledged.Where(id => !got.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged messages were neither delivered nor queued");
    }

    // Every message the session got until it ended, live or queued.
    private static async Task<List<string>> ReceivedAsync(ChatClient client)
    {
        var ids = new List<string>();
        for (var events = 0; events < 10_000 && await client.Events.WaitToReadAsync().AsTask().WaitAsync(TestServer.Patience); events++)
        {
            if (client.Events.TryRead(out var next) && next is ChatMessage message)
            {
                ids.Add(message.MessageId);
            }
        }

        return ids;
    }

    private static async Task<List<string>> QueuedAtLoginAsync(ChatClient client)
    {
        var ids = new List<string>();
        while (ids.Count < client.Session!.Queued)
        {
            if (await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is ChatMessage { Offline: true } message)
            {
                ids.Add(message.MessageId);
            }
        }

        return ids;
    }
}
