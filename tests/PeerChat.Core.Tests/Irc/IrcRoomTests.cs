using PeerChat.Core.Irc;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests.Irc;

/// <summary>Channels as PeerChat rooms over real sockets: both ways with peerchat/1, the replies of each command, and the rooms limit under 10,000 JOINs.</summary>
public sealed class IrcRoomTests
{
    [Fact]
    public async Task ARoom_WorksBothWays_BetweenIrcAndPeerChat()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        using var alice = await IrcTestClient.LoginAsync(server, "alice");
        using var bob = await server.LoginRawAsync("bob");

        await alice.SendAsync("JOIN #Ops");
        var join = await alice.ReadUntilAsync("JOIN", m => m.Parameters[0] != "#everyone");
        Assert.Equal(("alice!alice@peerchat", "#Ops"), (join.Source, join.Parameters[0]));
        await alice.ReadUntilAsync("331");
        Assert.Equal(["alice"], (await alice.ReadUntilAsync("353")).Parameters[^1].Split(' '));
        await alice.ReadUntilAsync("366");

        var joined = await bob.RequestAsync(new { type = "join", id = 1, room = "ops" });
        Assert.Equal(["alice", "bob"], joined.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        var bobJoins = await alice.ReadUntilAsync("JOIN", m => m.Parameters[0] != "#everyone");
        Assert.Equal(("bob!bob@peerchat", "#Ops"), (bobJoins.Source, bobJoins.Parameters[0]));

        await bob.RequestAsync(new { type = "broadcast", id = 2, room = "ops", text = "from peerchat" });
        var fromBob = await alice.ReadUntilAsync("PRIVMSG");
        Assert.Equal(("bob!bob@peerchat", "#Ops", "from peerchat"), (fromBob.Source, fromBob.Parameters[0], fromBob.Parameters[1]));

        await alice.SendAsync("PRIVMSG #ops :from irc");
        var fromAlice = await bob.ReadFrameAsync("message");
        Assert.Equal(("alice", "Ops", "from irc"), (fromAlice.Str("from"), fromAlice.Str("room"), fromAlice.Str("text")));

        await alice.SendAsync("NAMES #ops");
        Assert.Equal(["alice", "bob"], (await alice.ReadUntilAsync("353")).Parameters[^1].Split(' '));

        await bob.RequestAsync(new { type = "leave", id = 3, room = "ops" });
        var bobParts = await alice.ReadUntilAsync("PART");
        Assert.Equal(("bob!bob@peerchat", "#Ops"), (bobParts.Source, bobParts.Parameters[0]));

        await alice.SendAsync("PART #ops :bye");
        var parted = await alice.ReadUntilAsync("PART");
        Assert.Equal(("alice!alice@peerchat", "#Ops", "bye"), (parted.Source, parted.Parameters[0], parted.Parameters[1]));
        await alice.SendAsync("PRIVMSG #ops :after leaving");
        Assert.Equal("#ops", (await alice.ReadUntilAsync("404")).Parameters[1]);
    }

    [Fact]
    public async Task ARoomsMembership_Lasts_AndRegistrationJoinsIt()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        using (var first = await IrcTestClient.LoginAsync(server, "alice"))
        {
            await first.SendAsync("JOIN #ops,#builds");
            await first.ReadUntilAsync("366", m => m.Parameter(1) == "#builds");
            await first.SendAsync("QUIT");
            await first.ReadUntilClosedAsync();
        }

        await server.EnsureUserAsync("alice");
        using var again = IrcTestClient.Connect(server.Server.IrcPort);
        await again.SendAsync($"PASS :{TestServer.Password}", "NICK alice", "USER alice 0 * :alice");
        var lines = await again.ReadToFenceAsync();
        var joins = lines.Where(l => l.Command == "JOIN").Select(l => l.Parameters[0]).ToList();
        Assert.Equal(["#everyone", "#builds", "#ops"], joins);
    }

    [Fact]
    public async Task EachCommand_AnswersWithItsNumerics()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        using var alice = await IrcTestClient.LoginAsync(server, "alice");
        using var bob = await IrcTestClient.LoginAsync(server, "bob");
        await alice.SendAsync("JOIN #ops");
        await alice.ReadUntilAsync("366");
        await bob.SendAsync("JOIN #ops");
        await bob.ReadUntilAsync("366");

        await alice.SendAsync("JOIN ops", "JOIN #bad!name", "PART #nowhere", "TOPIC #ops", "TOPIC #ops :new topic", "TOPIC #everyone", "PART #everyone");
        var replies = await alice.ReadToFenceAsync();
        Assert.Contains(replies, r => r.Command == "476" && r.Parameters[1] == "ops");
        Assert.Contains(replies, r => r.Command == "476" && r.Parameters[1] == "#bad!name");
        Assert.Contains(replies, r => r.Command == "442" && r.Parameters[1] == "#nowhere");
        Assert.Contains(replies, r => r.Command == "331" && r.Parameters[1] == "#ops");
        Assert.Contains(replies, r => r.Command == "482" && r.Parameters[1] == "#ops");
        Assert.Contains(replies, r => r.Command == "332" && r.Parameters[1] == "#everyone");
        Assert.Contains(replies, r => r.Command == "FAIL" && r.Parameters[0] == "PART" && r.Parameters[1] == "CANNOT_LEAVE");

        await alice.SendAsync("WHO #ops", "WHOIS bob", "WHOIS nobody", "LIST");
        replies = await alice.ReadToFenceAsync();
        Assert.Equal(["alice", "bob"], replies.Where(r => r.Command == "352").Select(r => r.Parameters[5]));
        Assert.Contains(replies, r => r.Command == "315" && r.Parameters[1] == "#ops");
        Assert.Contains(replies, r => r.Command == "311" && r.Parameters[1] == "bob");
        Assert.Equal("#everyone #ops", replies.Single(r => r.Command == "319").Parameters[^1]);
        Assert.Contains(replies, r => r.Command == "401" && r.Parameters[1] == "nobody");
        Assert.Equal(2, replies.Count(r => r.Command == "318"));
        Assert.Contains(replies, r => r.Command == "322" && r.Parameters[1] == "#ops" && r.Parameters[2] == "2");
        Assert.Contains(replies, r => r.Command == "322" && r.Parameters[1] == "#everyone");
        Assert.Equal("323", replies[^1].Command);
    }

    [Fact]
    public async Task WithoutAStore_JoinIsNoSuchChannel_WithTheReason()
    {
        await using var server = await TestServer.StartAsync(o => o with { IrcPort = 0 });
        using var alice = await IrcTestClient.LoginAsync(server, "alice");
        await alice.SendAsync("JOIN #ops");
        var refused = await alice.ReadUntilAsync("403");
        Assert.Contains("message store", refused.Parameters[^1]);
    }

    [Fact]
    public async Task TenThousandJoins_StopAtMaxRoomsPerUser_WithClearNumerics_AndOthersGoOn()
    {
        const int joins = 10_000;
        await using var server = await IrcSessions.StartWithStoreAsync(o => TestServer.WithoutFloodControl(o) with { MaxRoomsPerUser = 5 });
        using var mallory = await IrcTestClient.LoginAsync(server, "mallory");
        using var alice = await IrcTestClient.LoginAsync(server, "alice");

        // In steps of 500, each read to its fence: 10,000 replies do not fit the outbound queue of a
        // client that reads slower than the gateway answers (it would be cut as a slow consumer).
        var lines = new List<IrcMessage>();
        for (var i = 0; i < joins; i += 500)
        {
            await mallory.SendAsync([.. Enumerable.Range(i, 500).Select(n => $"JOIN #r{n}"), $"PING :step{i}"]);
            lines.AddRange(await mallory.ReadUntilPongAsync($"step{i}"));
        }

        Assert.Equal(5, lines.Count(l => l.Command == "JOIN" && l.Parameters[0] != "#everyone"));
        var tooMany = lines.Where(l => l.Command == "405").ToList();
        Assert.Equal(joins - 5, tooMany.Count);
        Assert.Contains("MaxRoomsPerUser", tooMany[0].Parameters[^1]);

        await alice.SendAsync("JOIN #r0", "PRIVMSG #r0 :still here");
        await alice.ReadUntilAsync("366", m => m.Parameter(1) == "#r0");
        var heard = await mallory.ReadUntilAsync("PRIVMSG");
        Assert.Equal(("#r0", "still here"), (heard.Parameters[0], heard.Parameters[1]));
    }
}
