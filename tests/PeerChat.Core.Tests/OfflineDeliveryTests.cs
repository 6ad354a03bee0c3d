using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>Messages to users who are offline, on a real SQLite store: queued, delivered at login in order, kept until confirmed.</summary>
public sealed class OfflineDeliveryTests
{
    [Fact]
    public async Task ASendToAnOfflineUser_IsQueued_AndArrivesAtLogin_InOrder_WithItsOriginalTime()
    {
        var clock = StoreFiles.Clock();
        await using var server = await TestServer.StartWithStoreAsync(o => o with { TimeProvider = clock });
        await server.EnsureUserAsync("bob");
        using var alice = await server.LoginRawAsync("alice");
        var sentAt = WireTime.Format(clock.GetUtcNow());

        var receipts = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            receipts.Add(await alice.RequestAsync(new { type = "send", id = i, to = "bob", text = $"while you were out {i}" }));
        }

        clock.Advance(TimeSpan.FromHours(1));
        using var bob = await server.LoginRawAsync("bob");
        var delivered = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            delivered.Add(await bob.ReadFrameAsync("message"));
        }

        Assert.All(receipts, r => Assert.Equal(("sent", 0, 1), (r.Type(), r.GetProperty("recipients").GetInt32(), r.GetProperty("queued").GetInt32())));
        Assert.Equal(3, bob.Welcome.GetProperty("queued").GetInt32());
        Assert.Equal(receipts.Select(r => r.Str("messageId")), delivered.Select(m => m.Str("messageId")));
        Assert.All(delivered, m => Assert.Equal(("direct", "alice", "bob", true, sentAt), (m.Str("kind"), m.Str("from"), m.Str("to"), m.GetProperty("offline").GetBoolean(), m.Str("sentAt"))));
        Assert.Equal(["while you were out 0", "while you were out 1", "while you were out 2"], delivered.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task AClientThatLeavesBeforeConfirming_GetsThemAgain_AConfirmedOneNeverComesBack()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        await server.EnsureUserAsync("bob");
        using var alice = await server.LoginRawAsync("alice");
        var ids = await HistoryTests.SendAsync(alice, 3, i => new { type = "send", id = i, to = "bob", text = $"m{i}" });

        var first = await LoginAndReadQueuedAsync(server, "bob", confirmUpTo: null);
        var second = await LoginAndReadQueuedAsync(server, "bob", confirmUpTo: ids[1]);
        var third = await LoginAndReadQueuedAsync(server, "bob", confirmUpTo: null);
        var unknownConfirm = await LoginAndReadQueuedAsync(server, "bob", confirmUpTo: "m0000000000000000000000000");
        var last = await LoginAndReadQueuedAsync(server, "bob", confirmUpTo: ids[2]);
        var none = await LoginAndReadQueuedAsync(server, "bob", confirmUpTo: null);

        Assert.Equal(ids, first);
        Assert.Equal(ids, second);
        Assert.Equal([ids[2]], third);
        Assert.Equal([ids[2]], unknownConfirm);
        Assert.Equal([ids[2]], last);
        Assert.Empty(none);
    }

    [Fact]
    public async Task ThousandTwoHundredQueued_GiveTheNewestThousand_AfterOfflineDropped200()
    {
        await using var server = await TestServer.StartWithStoreAsync(TestServer.WithoutFloodControl);
        await server.EnsureUserAsync("bob");
        const int senders = 4, each = 300;
        var sent = await Task.WhenAll(Enumerable.Range(0, senders).Select(async s =>
        {
            using var sender = await server.LoginRawAsync($"sender{s}");
            return await HistoryTests.SendAsync(sender, each, i => new { type = "send", id = i, to = "bob", text = $"from {s}: {i}" });
        }));

        using var bob = await server.LoginRawAsync("bob");
        var (ids, dropped, batches) = await ReadEveryBatchAsync(bob);

        Assert.Equal(200, dropped);
        Assert.Equal(1000, ids.Count);
        Assert.Equal(1000, ids.Distinct().Count());
        Assert.True(batches >= 2, "1,000 messages came in one batch past half the outbound queue");

        // Each sender's messages commit in its order, so what is kept of each is the end of what it sent, in order.
        var kept = ids.ToHashSet();
        foreach (var mine in sent)
        {
            var keptOfMine = mine.Where(kept.Contains).ToList();
            Assert.Equal(mine.TakeLast(keptOfMine.Count), keptOfMine);
            Assert.Equal(keptOfMine, ids.Where(mine.Contains));
        }
    }

    [Fact]
    public async Task AClientOfTheOldProtocol_WorksUnchanged_AgainstAServerWithAStore()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        var carol = await server.LoginAsync("carol");
        await carol.LogoutAsync();

        var list = await alice.ListAsync();
        var broadcast = await alice.BroadcastAsync("hello all");
        var atBob = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        var relay = await alice.SendAsync("bob", "just you", route: RoutePreference.Relay);
        var direct = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        var queued = await alice.SendAsync("carol", "later", route: RoutePreference.Relay);

        Assert.Equal(["alice", "bob"], list.Select(c => c.UserName));
        Assert.Equal((1, "hello all", broadcast.MessageId), (broadcast.Recipients, atBob.Text, atBob.MessageId));
        Assert.Equal((1, "just you", relay.MessageId), (relay.Recipients, direct.Text, direct.MessageId));
        Assert.Equal(0, queued.Recipients);
    }

    /// <summary>Logs in, reads every message of the welcome's batch, confirms <paramref name="confirmUpTo"/> (when given), and logs out; the ids read.</summary>
    private static async Task<List<string>> LoginAndReadQueuedAsync(TestServer server, string user, string? confirmUpTo)
    {
        using var client = await server.LoginRawAsync(user);
        var ids = new List<string>();
        for (var i = client.Welcome.GetProperty("queued").GetInt32(); i > 0; i--)
        {
            var message = await client.ReadFrameAsync("message");
            Assert.True(message.GetProperty("offline").GetBoolean(), $"not marked offline: {message}");
            ids.Add(message.Str("messageId"));
        }

        if (confirmUpTo is not null)
        {
            await client.SendLineAsync(JsonSerializer.Serialize(new { type = "received", upTo = confirmUpTo }));
        }

        // Answered after the received, in order: once the pong is here the confirmation is done.
        await client.RequestAsync(new { type = "ping", id = "after" });
        await client.SendLineAsync("""{"type":"logout"}""");
        await client.ReadUntilClosedAsync();
        return ids;
    }

    /// <summary>Reads the welcome's batch and every batch after it, confirming each at its last message; the ids, the dropped count, and the number of batches.</summary>
    internal static async Task<(List<string> Ids, long Dropped, int Batches)> ReadEveryBatchAsync(RawClient client)
    {
        var ids = new List<string>();
        long dropped = 0;
        var expected = client.Welcome.GetProperty("queued").GetInt32();

        // A batch is written before the answer to any request read after it: a ping marks its end.
        async Task<int> ReadUpToPongAsync(string pingId)
        {
            await client.SendLineAsync(JsonSerializer.Serialize(new { type = "ping", id = pingId }));
            var got = 0;
            while (true)
            {
                var frame = await client.ReadFrameAsync();
                switch (frame.Type(), frame.Code())
                {
                    case ("pong", _):
                        return got;
                    case ("notice", NoticeCodes.OfflineDropped):
                        dropped += frame.GetProperty("count").GetInt64();
                        break;
                    case ("notice", NoticeCodes.OfflineMore):
                        expected = frame.GetProperty("queued").GetInt32();
                        break;
                    default:
                        Assert.True(frame.Type() == "message" && frame.GetProperty("offline").GetBoolean(), $"expected an offline message, got {frame}");
                        ids.Add(frame.Str("messageId"));
                        got++;
                        break;
                }
            }
        }

        Assert.Equal(expected, await ReadUpToPongAsync("welcome batch"));
        var batches = expected > 0 ? 1 : 0;
        while (expected > 0)
        {
            Assert.True(batches <= 100, "batches did not end");
            await client.SendLineAsync(JsonSerializer.Serialize(new { type = "received", upTo = ids[^1] }));
            expected = 0;
            var got = await ReadUpToPongAsync($"after batch {batches}");
            Assert.Equal(expected, got);
            batches += got > 0 ? 1 : 0;
        }

        return (ids, dropped, batches);
    }
}
