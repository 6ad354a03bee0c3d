using System.Text.Json;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>History through the wire, on a real SQLite store: paging both ways without gap or duplicate, limits, and what a user may not read.</summary>
public sealed class HistoryTests
{
    [Fact]
    public async Task PagingBackwards_ThenForwards_WalksEveryMessageOnce_InOrder()
    {
        await using var server = await TestServer.StartWithStoreAsync(TestServer.WithoutFloodControl);
        using var alice = await server.LoginRawAsync("alice");
        await alice.RequestAsync(new { type = "join", id = "j", room = "ops" });
        var sent = await SendAsync(alice, 123, i => new { type = "broadcast", id = i, room = "ops", text = $"message {i}" });

        var backwards = new List<string>();
        var page = await alice.RequestAsync(new { type = "history", id = "p0", room = "ops", limit = 20 });
        for (var pages = 1; ; pages++)
        {
            Assert.True(pages <= 10, "paging backwards did not end");
            backwards.InsertRange(0, Ids(page));
            if (page.GetProperty("complete").GetBoolean())
            {
                break;
            }

            page = await alice.RequestAsync(new { type = "history", id = $"p{pages}", room = "ops", limit = 20, before = Ids(page)[0] });
        }

        var forwards = new List<string> { sent[0] };
        for (var pages = 1; ; pages++)
        {
            Assert.True(pages <= 10, "paging forwards did not end");
            page = await alice.RequestAsync(new { type = "history", id = $"f{pages}", room = "ops", limit = 20, after = forwards[^1] });
            forwards.AddRange(Ids(page));
            if (page.GetProperty("complete").GetBoolean())
            {
                break;
            }
        }

        Assert.Equal(sent, backwards);
        Assert.Equal(sent, forwards);
        Assert.Equal("ops", page.Str("room"));
    }

    [Fact]
    public async Task AMessageInHistory_ReadsAsItWasDelivered()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");

        await alice.RequestAsync(new { type = "send", id = 1, to = "bob", text = "line one\n\"two\" 🚀", data = new { build = 42, tags = new[] { "a" } } });
        var delivered = await bob.ReadFrameAsync("message");
        var history = await bob.RequestAsync(new { type = "history", id = 2, with = "ALICE" });

        var kept = history.GetProperty("messages").EnumerateArray().Single();
        Assert.Equal("alice", history.Str("with"));
        Assert.Equal(delivered.ToString(), kept.ToString());
        Assert.True(history.GetProperty("complete").GetBoolean());
    }

    [Fact]
    public async Task ABroadcast_IsStoredOnce_NotPerReceiver()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        var receivers = new List<RawClient>();
        for (var i = 0; i < 5; i++)
        {
            receivers.Add(await server.LoginRawAsync($"r{i}"));
        }

        var sent = await alice.RequestAsync(new { type = "broadcast", id = 1, text = "to all" });
        var history = await alice.RequestAsync(new { type = "history", id = 2, limit = 200 });

        Assert.Equal(5, sent.GetProperty("recipients").GetInt32());
        Assert.Equal([sent.Str("messageId")], Ids(history));
        Assert.False(history.TryGetProperty("room", out _) || history.TryGetProperty("with", out _), $"everyone's history names a conversation: {history}");
        receivers.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Limit_IsCutToHistoryPageMax_AndDefaultsTo50()
    {
        await using var server = await TestServer.StartWithStoreAsync(o => TestServer.WithoutFloodControl(o) with { HistoryPageMax = 60 });
        using var alice = await server.LoginRawAsync("alice");
        await SendAsync(alice, 70, i => new { type = "broadcast", id = i, text = $"m{i}" });

        var huge = await alice.RequestAsync(new { type = "history", id = "h", limit = 1_000_000 });
        var plain = await alice.RequestAsync(new { type = "history", id = "d" });
        var zero = await alice.RequestAsync(new { type = "history", id = "z", limit = 0 });

        Assert.Equal(60, Ids(huge).Count);
        Assert.False(huge.GetProperty("complete").GetBoolean());
        Assert.Equal(50, Ids(plain).Count);
        zero.AssertError(ErrorCodes.BadFrame);
    }

    [Fact]
    public async Task Since_GivesWhatCameAtOrAfterThatTime()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        var all = await SendAsync(alice, 5, i => new { type = "broadcast", id = i, text = $"m{i}" });
        var history = await alice.RequestAsync(new { type = "history", id = "a", limit = 200 });
        var third = history.GetProperty("messages")[2].Str("sentAt");

        var since = await alice.RequestAsync(new { type = "history", id = "s", since = third });
        var badTime = await alice.RequestAsync(new { type = "history", id = "b", since = "yesterday" });

        Assert.Subset(all.ToHashSet(), Ids(since).ToHashSet());
        Assert.Contains(all[2], Ids(since));
        Assert.Equal(all[^1], Ids(since)[^1]);
        Assert.True(since.GetProperty("complete").GetBoolean());
        badTime.AssertError(ErrorCodes.BadFrame);
    }

    [Fact]
    public async Task Attacker_CannotReadARoomTheyAreNotIn_NorAnotherPairsMessages()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");
        using var mallory = await server.LoginRawAsync("mallory");
        await alice.RequestAsync(new { type = "join", id = 1, room = "secret" });
        var roomMessage = (await alice.RequestAsync(new { type = "broadcast", id = 2, room = "secret", text = "the plan" })).Str("messageId");
        var pairMessage = (await alice.RequestAsync(new { type = "send", id = 3, to = "bob", text = "for bob only" })).Str("messageId");
        var malloryToAlice = (await mallory.RequestAsync(new { type = "send", id = 4, to = "alice", text = "hi alice" })).Str("messageId");

        var answers = new Dictionary<string, JsonElement>
        {
            ["room not joined"] = await mallory.RequestAsync(new { type = "history", id = 10, room = "secret" }),
            ["room not joined, with a cursor"] = await mallory.RequestAsync(new { type = "history", id = 11, room = "secret", after = roomMessage }),
            ["room that does not exist"] = await mallory.RequestAsync(new { type = "history", id = 12, room = "nowhere" }),
            ["a cursor of alice|bob in mallory|alice"] = await mallory.RequestAsync(new { type = "history", id = 13, with = "alice", before = pairMessage }),
            ["a room's cursor in everyone"] = await mallory.RequestAsync(new { type = "history", id = 14, after = roomMessage }),
            ["an unknown id"] = await mallory.RequestAsync(new { type = "history", id = 15, with = "alice", before = "m0000000000000000000000000" }),
            ["not an id"] = await mallory.RequestAsync(new { type = "history", id = 16, with = "alice", before = "'; drop table messages; --" }),
            ["with an unknown user"] = await mallory.RequestAsync(new { type = "history", id = 17, with = "ghost" }),
            ["room and with at once"] = await mallory.RequestAsync(new { type = "history", id = 18, room = "secret", with = "alice" }),
            ["mark_read in a room not joined"] = await mallory.RequestAsync(new { type = "mark_read", id = 19, room = "secret", upTo = roomMessage }),
        };
        var own = await mallory.RequestAsync(new { type = "history", id = 20, with = "alice" });

        var expected = new Dictionary<string, string>
        {
            ["room not joined"] = ErrorCodes.NotInRoom,
            ["room not joined, with a cursor"] = ErrorCodes.NotInRoom,
            ["room that does not exist"] = ErrorCodes.NoSuchRoom,
            ["a cursor of alice|bob in mallory|alice"] = ErrorCodes.NoSuchMessage,
            ["a room's cursor in everyone"] = ErrorCodes.NoSuchMessage,
            ["an unknown id"] = ErrorCodes.NoSuchMessage,
            ["not an id"] = ErrorCodes.NoSuchMessage,
            ["with an unknown user"] = ErrorCodes.NoSuchUser,
            ["room and with at once"] = ErrorCodes.BadFrame,
            ["mark_read in a room not joined"] = ErrorCodes.NotInRoom,
        };
        Assert.All(expected, e => Assert.True(answers[e.Key].Type() == "error" && answers[e.Key].Code() == e.Value, $"{e.Key}: expected {e.Value}, got {answers[e.Key]}"));
        Assert.Equal([malloryToAlice], Ids(own));
        Assert.DoesNotContain("the plan", own.ToString());
        Assert.DoesNotContain("for bob only", own.ToString());
    }

    /// <summary>Sends <paramref name="count"/> requests one after another, each waiting for its receipt; the message ids.</summary>
    internal static async Task<List<string>> SendAsync(RawClient client, int count, Func<int, object> request)
    {
        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var sent = await client.RequestAsync(request(i));
            Assert.True(sent.Type() == "sent", $"message {i}: {sent}");
            ids.Add(sent.Str("messageId"));
        }

        return ids;
    }

    internal static List<string> Ids(JsonElement history) =>
        history.GetProperty("messages").EnumerateArray().Select(m => m.Str("messageId")).ToList();
}
