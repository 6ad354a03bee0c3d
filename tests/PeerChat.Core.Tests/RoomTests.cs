using System.Text.Json;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>Rooms over the wire, on a server with a real SQLite store: join, leave, room messages, room events, limits, and membership that lasts.</summary>
public sealed class RoomTests
{
    [Fact]
    public async Task Hello_WithAStore_NamesRoomsHistoryOffline_AndTheHistoryLimit()
    {
        await using var server = await TestServer.StartWithStoreAsync(o => o with { HistoryPageMax = 77 });
        using var raw = server.ConnectRaw();

        var hello = await raw.ReadFrameAsync("hello");

        Assert.Equal(["activity", "rooms", "history", "offline"], hello.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(77, hello.GetProperty("history").GetProperty("maxLimit").GetInt32());
    }

    [Fact]
    public async Task Join_CreatesTheRoom_TheNextJoinerSeesTheMembers_AndMembersHearOfIt()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");

        var created = await alice.RequestAsync(new { type = "join", id = 1, room = "Ops" });
        var second = await bob.RequestAsync(new { type = "join", id = 2, room = "ops" });
        var heard = await alice.ReadFrameAsync("room_event");
        var again = await alice.RequestAsync(new { type = "join", id = 3, room = "OPS" });

        Assert.Equal(("joined", "Ops", true), (created.Type(), created.Str("room"), created.GetProperty("created").GetBoolean()));
        Assert.Equal(["alice"], Members(created));
        Assert.Equal(("joined", "Ops", false), (second.Type(), second.Str("room"), second.GetProperty("created").GetBoolean()));
        Assert.Equal(["alice", "bob"], Members(second));
        Assert.Equal(("joined", "Ops", "bob"), (heard.Str("event"), heard.Str("room"), heard.Str("user")));
        Assert.Equal(("joined", false), (again.Type(), again.GetProperty("created").GetBoolean()));
        Assert.Equal(["alice", "bob"], Members(again));
    }

    [Fact]
    public async Task RoomBroadcast_ReachesOnlineMembersOnly_AsKindRoom()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");
        using var carol = await server.LoginRawAsync("carol");
        await alice.RequestAsync(new { type = "join", id = 1, room = "ops" });
        await bob.RequestAsync(new { type = "join", id = 2, room = "ops" });

        var sent = await alice.RequestAsync(new { type = "broadcast", id = 3, room = "OPS", text = "deploy at 18:00", data = new { build = 42 } });
        var atBob = await bob.ReadFrameAsync("message");
        // Whatever carol was sent before her pong would come first.
        await carol.SendLineAsync("""{"type":"ping","id":4}""");
        var carolNext = await carol.ReadFrameAsync();
        var outsider = await carol.RequestAsync(new { type = "broadcast", id = 5, room = "ops", text = "let me in" });
        var nowhere = await alice.RequestAsync(new { type = "broadcast", id = 6, room = "nowhere", text = "anyone?" });

        Assert.Equal(("sent", 1), (sent.Type(), sent.GetProperty("recipients").GetInt32()));
        Assert.Equal(("room", "ops", "alice", "deploy at 18:00"), (atBob.Str("kind"), atBob.Str("room"), atBob.Str("from"), atBob.Str("text")));
        Assert.Equal(sent.Str("messageId"), atBob.Str("messageId"));
        Assert.Equal(42, atBob.GetProperty("data").GetProperty("build").GetInt32());
        Assert.Equal("pong", carolNext.Type());
        outsider.AssertError(ErrorCodes.NotInRoom);
        nowhere.AssertError(ErrorCodes.NoSuchRoom);
    }

    [Fact]
    public async Task Leave_TellsTheMembers_AndTheRoomNoLongerReachesTheOneWhoLeft()
    {
        await using var server = await TestServer.StartWithStoreAsync();
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");
        await alice.RequestAsync(new { type = "join", id = 1, room = "ops" });
        await bob.RequestAsync(new { type = "join", id = 2, room = "ops" });
        await alice.ReadFrameAsync("room_event");

        var left = await bob.RequestAsync(new { type = "leave", id = 3, room = "ops" });
        var heard = await alice.ReadFrameAsync("room_event");
        var leftAgain = await bob.RequestAsync(new { type = "leave", id = 4, room = "ops" });
        var sent = await alice.RequestAsync(new { type = "broadcast", id = 5, room = "ops", text = "alone now" });
        var refused = await bob.RequestAsync(new { type = "broadcast", id = 6, room = "ops", text = "still here?" });

        Assert.Equal("ok", left.Type());
        Assert.Equal(("left", "bob"), (heard.Str("event"), heard.Str("user")));
        leftAgain.AssertError(ErrorCodes.NotInRoom);
        Assert.Equal(0, sent.GetProperty("recipients").GetInt32());
        refused.AssertError(ErrorCodes.NotInRoom);
    }

    [Fact]
    public async Task Limits_RoomsPerUser_AndRoomsOnTheServer_AndTheNameRule()
    {
        await using var server = await TestServer.StartWithStoreAsync(o => o with { MaxRoomsPerUser = 2, MaxRooms = 3 });
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");

        var first = await alice.RequestAsync(new { type = "join", id = 1, room = "a" });
        var second = await alice.RequestAsync(new { type = "join", id = 2, room = "b" });
        var third = await alice.RequestAsync(new { type = "join", id = 3, room = "c" });
        var bobCreates = await bob.RequestAsync(new { type = "join", id = 4, room = "c" });
        var pastMaxRooms = await bob.RequestAsync(new { type = "join", id = 5, room = "d" });
        var existing = await bob.RequestAsync(new { type = "join", id = 6, room = "a" });
        var badName = await bob.RequestAsync(new { type = "join", id = 7, room = "no spaces" });
        var tooLong = await bob.RequestAsync(new { type = "join", id = 8, room = new string('x', 33) });

        Assert.Equal(("joined", "joined"), (first.Type(), second.Type()));
        third.AssertError(ErrorCodes.TooManyRooms);
        Assert.Equal("joined", bobCreates.Type());
        pastMaxRooms.AssertError(ErrorCodes.TooManyRooms);
        Assert.Equal("joined", existing.Type());
        badName.AssertError(ErrorCodes.InvalidRoom);
        tooLong.AssertError(ErrorCodes.InvalidRoom);
    }

    [Fact]
    public async Task Membership_LastsAcrossARestart_AndRoomsListsWhatEachUserSees()
    {
        using var folder = new TemporaryFolder();
        await using (var first = await TestServer.StartWithStoreAsync(folder: folder))
        {
            using var alice = await first.LoginRawAsync("alice");
            using var bob = await first.LoginRawAsync("bob");
            await alice.RequestAsync(new { type = "join", id = 1, room = "Ops" });
            await bob.RequestAsync(new { type = "join", id = 2, room = "dev" });
            await alice.RequestAsync(new { type = "broadcast", id = 3, room = "ops", text = "before the restart" });
        }

        await using var second = await TestServer.StartWithStoreAsync(folder: folder);
        using var alice2 = await second.LoginRawAsync("alice");
        var rooms = await alice2.RequestAsync(new { type = "rooms", id = 4 });
        var sent = await alice2.RequestAsync(new { type = "broadcast", id = 5, room = "ops", text = "after it" });

        var list = rooms.GetProperty("rooms").EnumerateArray().ToList();
        Assert.Equal(["dev", "Ops"], list.Select(r => r.Str("room")));
        var ops = list[1];
        Assert.Equal((1, 1, true), (ops.GetProperty("members").GetInt32(), ops.GetProperty("online").GetInt32(), ops.GetProperty("joined").GetBoolean()));
        Assert.Equal(JsonValueKind.String, ops.GetProperty("lastMessageId").ValueKind);
        var dev = list[0];
        Assert.Equal((1, 0, false, 0), (dev.GetProperty("members").GetInt32(), dev.GetProperty("online").GetInt32(), dev.GetProperty("joined").GetBoolean(), dev.GetProperty("unread").GetInt32()));
        Assert.Equal("sent", sent.Type());
    }

    private static List<string> Members(JsonElement joined) =>
        joined.GetProperty("members").EnumerateArray().Select(m => m.GetString()!).ToList();
}
