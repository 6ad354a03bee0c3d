using System.Text.Json;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>Read markers and the list of conversations with what is unread, on a real SQLite store, across a restart.</summary>
public sealed class ReadMarkerTests
{
    [Fact]
    public async Task MarkRead_LowersUnread_InRoomsAndConversations_AndLastsAcrossARestart()
    {
        using var folder = new TemporaryFolder();
        List<string> room, direct;
        await using (var server = await TestServer.StartWithStoreAsync(folder: folder))
        {
            using var alice = await server.LoginRawAsync("alice");
            using var bob = await server.LoginRawAsync("bob");
            await alice.RequestAsync(new { type = "join", id = 1, room = "ops" });
            await bob.RequestAsync(new { type = "join", id = 2, room = "ops" });
            room = await HistoryTests.SendAsync(bob, 3, i => new { type = "broadcast", id = i, room = "ops", text = $"room {i}" });
            direct = await HistoryTests.SendAsync(bob, 2, i => new { type = "send", id = i, to = "alice", text = $"direct {i}" });
            await HistoryTests.SendAsync(bob, 1, i => new { type = "broadcast", id = i, text = "to everyone" });
            await HistoryTests.SendAsync(alice, 1, i => new { type = "broadcast", id = i, text = "alice's own" });

            var before = Unread(await alice.RequestAsync(new { type = "conversations", id = 3 }));
            var roomMark = await alice.RequestAsync(new { type = "mark_read", id = 4, room = "ops", upTo = room[1] });
            var directMark = await alice.RequestAsync(new { type = "mark_read", id = 5, with = "bob", upTo = direct[1] });
            var rooms = await alice.RequestAsync(new { type = "rooms", id = 6 });

            Assert.Equal(new Dictionary<string, long> { ["*"] = 1, ["#ops"] = 3, ["@bob"] = 2 }, before);
            Assert.Equal(("ok", "ok"), (roomMark.Type(), directMark.Type()));
            Assert.Equal(1, rooms.GetProperty("rooms")[0].GetProperty("unread").GetInt64());
        }

        await using var restarted = await TestServer.StartWithStoreAsync(folder: folder);
        using var alice2 = await restarted.LoginRawAsync("alice");
        var after = await alice2.RequestAsync(new { type = "conversations", id = 7 });

        Assert.Equal(new Dictionary<string, long> { ["*"] = 1, ["#ops"] = 1, ["@bob"] = 0 }, Unread(after));
        var entries = after.GetProperty("conversations").EnumerateArray().ToList();
        Assert.Equal(room[1], entries.Single(c => c.TryGetProperty("room", out _)).Str("readUpTo"));
        Assert.Equal(direct[1], entries.Single(c => c.TryGetProperty("with", out _)).Str("readUpTo"));
        Assert.Equal(JsonValueKind.Null, entries.Single(c => !c.TryGetProperty("room", out _) && !c.TryGetProperty("with", out _)).GetProperty("readUpTo").ValueKind);
    }

    [Fact]
    public async Task MarkRead_RefusesIdsOfOtherConversations_UnknownIds_AndAMissingUpTo()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");
        await alice.RequestAsync(new { type = "join", id = 1, room = "ops" });
        var roomId = (await alice.RequestAsync(new { type = "broadcast", id = 2, room = "ops", text = "in ops" })).Str("messageId");
        var directId = (await alice.RequestAsync(new { type = "send", id = 3, to = "bob", text = "to bob" })).Str("messageId");

        var otherConversation = await alice.RequestAsync(new { type = "mark_read", id = 4, room = "ops", upTo = directId });
        var everyoneWithRoomId = await alice.RequestAsync(new { type = "mark_read", id = 5, upTo = roomId });
        var unknown = await alice.RequestAsync(new { type = "mark_read", id = 6, with = "bob", upTo = "m0000000000000000000000000" });
        var missing = await alice.RequestAsync(new { type = "mark_read", id = 7, room = "ops" });
        var right = await alice.RequestAsync(new { type = "mark_read", id = 8, with = "bob", upTo = directId });

        otherConversation.AssertError(ErrorCodes.NoSuchMessage);
        everyoneWithRoomId.AssertError(ErrorCodes.NoSuchMessage);
        unknown.AssertError(ErrorCodes.NoSuchMessage);
        missing.AssertError(ErrorCodes.BadFrame);
        Assert.Equal("ok", right.Type());
    }

    /// <summary>Unread per conversation: <c>*</c> for everyone, <c>#room</c>, <c>@user</c>.</summary>
    private static Dictionary<string, long> Unread(JsonElement conversations) =>
        conversations.GetProperty("conversations").EnumerateArray().ToDictionary(
            c => c.TryGetProperty("room", out var room) ? "#" + room.GetString() : c.TryGetProperty("with", out var with) ? "@" + with.GetString() : "*",
            c => c.GetProperty("unread").GetInt64());
}
