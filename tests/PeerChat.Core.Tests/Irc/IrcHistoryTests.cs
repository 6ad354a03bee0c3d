using System.Globalization;
using PeerChat.Core.Irc;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests.Irc;

/// <summary>
/// The IRCv3 side over real sockets and a real SQLite store: CHATHISTORY's subcommands in batches,
/// msgid and server-time on live and stored messages, echo-message, the replay at JOIN for clients
/// without chathistory, and offline messages after registration.
/// </summary>
public sealed class IrcHistoryTests
{
    private const string AllCaps = "batch draft/chathistory echo-message message-tags server-time";

    [Fact]
    public async Task EverySubcommand_AnswersInAChatHistoryBatch_WithTimeAndMsgid()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        using var bob = await server.LoginRawAsync("bob");
        using var alice = await IrcSessions.LoginAsync(server, "alice", AllCaps);
        await alice.SendAsync("JOIN #ops");
        await alice.ReadUntilAsync("366", m => m.Parameter(1) == "#ops");
        await bob.RequestAsync(new { type = "join", id = "j", room = "ops" });
        var ids = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            ids.Add((await bob.RequestAsync(new { type = "broadcast", id = i, room = "ops", text = $"line {i}" })).Str("messageId"));
        }

        var latest = await HistoryAsync(alice, "LATEST #ops * 10");
        Assert.Equal(ids[20..], latest.Select(m => m.Tag("msgid")));
        Assert.All(latest, m => Assert.True(IrcTime.TryParse(m.Tag("time"), out _), m.Tag("time")));
        Assert.All(latest, m => Assert.Equal(("bob!bob@peerchat", "#ops"), (m.Source, m.Parameters[0])));
        Assert.Equal("line 29", latest[^1].Parameters[1]);

        Assert.Equal(ids[5..10], (await HistoryAsync(alice, $"BEFORE #ops msgid={ids[10]} 5")).Select(m => m.Tag("msgid")));
        Assert.Equal(ids[11..16], (await HistoryAsync(alice, $"AFTER #ops msgid={ids[10]} 5")).Select(m => m.Tag("msgid")));
        Assert.Equal(ids[8..13], (await HistoryAsync(alice, $"AROUND #ops msgid={ids[10]} 5")).Select(m => m.Tag("msgid")));
        Assert.Equal(ids[4..9], (await HistoryAsync(alice, $"BETWEEN #ops msgid={ids[3]} msgid={ids[9]} 50")).Select(m => m.Tag("msgid")));
        Assert.Equal(ids[4..9], (await HistoryAsync(alice, $"BETWEEN #ops msgid={ids[9]} msgid={ids[3]} 50")).Select(m => m.Tag("msgid")));
        var time = latest[0].Tag("time");
        Assert.Equal(ids[20..], (await HistoryAsync(alice, $"LATEST #ops msgid={ids[19]} 50")).Select(m => m.Tag("msgid")));
        Assert.Contains(ids[20], (await HistoryAsync(alice, $"BEFORE #ops timestamp=2100-01-01T00:00:00.000Z 50")).Select(m => m.Tag("msgid")));
        Assert.DoesNotContain(ids[20], (await HistoryAsync(alice, $"AFTER #ops timestamp={time} 50")).Select(m => m.Tag("msgid")));

        // Paging back from the newest by msgid reaches the first message with no gap and no duplicate.
        var paged = new List<string>();
        var page = await HistoryAsync(alice, "LATEST #ops * 7");
        for (var pages = 0; page.Count > 0; pages++)
        {
            Assert.True(pages < 10, "paging did not end");
            paged.InsertRange(0, page.Select(m => m.Tag("msgid")!));
            page = await HistoryAsync(alice, $"BEFORE #ops msgid={page[0].Tag("msgid")} 7");
        }

        Assert.Equal(ids, paged);
    }

    [Fact]
    public async Task DirectAndEveryoneHistory_AndTargets()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        using var bob = await server.LoginRawAsync("bob");
        using var alice = await IrcSessions.LoginAsync(server, "alice", AllCaps);
        await bob.RequestAsync(new { type = "send", id = 1, to = "alice", text = "psst" });
        await alice.SendAsync("PRIVMSG bob :hi bob");
        await bob.ReadFrameAsync("message");
        await bob.RequestAsync(new { type = "broadcast", id = 2, text = "hello all" });

        var direct = await HistoryAsync(alice, "LATEST bob * 10");
        Assert.Equal([("bob!bob@peerchat", "alice", "psst"), ("alice!alice@peerchat", "bob", "hi bob")], direct.Select(m => (m.Source, m.Parameters[0], m.Parameters[1])));
        var everyone = await HistoryAsync(alice, "LATEST #everyone * 10");
        Assert.Equal("hello all", Assert.Single(everyone).Parameters[1]);

        await alice.SendAsync("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10");
        var lines = await alice.ReadToFenceAsync();
        Assert.Equal("draft/chathistory-targets", lines.Single(l => l.Command == "BATCH" && l.Parameters[0].StartsWith('+')).Parameters[1]);
        Assert.Equal(["bob", "#everyone"], lines.Where(l => l.Command == "CHATHISTORY").Select(l => l.Parameters[1]));
    }

    [Fact]
    public async Task AWrongRequest_GetsFailChatHistory_AndTheConnectionGoesOn()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        using var alice = await IrcSessions.LoginAsync(server, "alice", AllCaps);
        await alice.SendAsync(
            "CHATHISTORY SINCE #ops * 10",
            "CHATHISTORY LATEST #ops",
            "CHATHISTORY LATEST #ops * 10",
            "CHATHISTORY BEFORE #everyone msgid=mnothere 10",
            "CHATHISTORY BEFORE #everyone timestamp=yesterday 10",
            "CHATHISTORY :LATEST #ops * 10");
        var fails = (await alice.ReadToFenceAsync()).Where(l => l.Command == "FAIL").Select(l => l.Parameters[1]).ToList();
        Assert.Equal(["UNKNOWN_COMMAND", "NEED_MORE_PARAMS", "INVALID_TARGET", "INVALID_PARAMS", "INVALID_PARAMS", "UNKNOWN_COMMAND"], fails);
    }

    [Fact]
    public async Task WithoutAStore_ChatHistoryFails_WithTheReason()
    {
        await using var server = await TestServer.StartAsync(o => o with { IrcPort = 0 });
        using var alice = await IrcSessions.LoginAsync(server, "alice", AllCaps);
        await alice.SendAsync("CHATHISTORY LATEST #everyone * 10");
        var fail = await alice.ReadUntilAsync("FAIL");
        Assert.Equal(["CHATHISTORY", "MESSAGE_ERROR", "LATEST", "#everyone"], fail.Parameters.Take(4));
        Assert.Contains("without a message store", fail.Parameters[^1]);
    }

    [Fact]
    public async Task EchoMessage_ReturnsTheSendersMessage_WithTheMsgidAndTimeOthersGot()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        using var alice = await IrcSessions.LoginAsync(server, "alice", AllCaps);
        using var bob = await IrcSessions.LoginAsync(server, "bob", "message-tags server-time");
        using var carol = await server.LoginRawAsync("carol");

        await alice.SendAsync("PRIVMSG #everyone :hello", "PRIVMSG bob :just you");
        var echoed = await alice.ReadUntilAsync("PRIVMSG");
        var atBob = await bob.ReadUntilAsync("PRIVMSG");
        var atCarol = await carol.ReadFrameAsync("message");
        Assert.Equal(("alice!alice@peerchat", "#everyone", "hello"), (echoed.Source, echoed.Parameters[0], echoed.Parameters[1]));
        Assert.Equal(atCarol.Str("messageId"), echoed.Tag("msgid"));
        Assert.Equal(echoed.Tag("msgid"), atBob.Tag("msgid"));
        Assert.Equal(echoed.Tag("time"), atBob.Tag("time"));
        Assert.Equal(IrcTime.ToServerTime(DateTimeOffset.Parse(atCarol.Str("sentAt"), CultureInfo.InvariantCulture)), echoed.Tag("time"));

        var direct = await alice.ReadUntilAsync("PRIVMSG");
        Assert.Equal(("bob", "just you"), (direct.Parameters[0], direct.Parameters[1]));
        Assert.Equal(direct.Tag("msgid"), (await bob.ReadUntilAsync("PRIVMSG")).Tag("msgid"));

        // Without echo-message, nothing comes back.
        await bob.SendAsync("PRIVMSG #everyone :no echo");
        Assert.Empty((await bob.ReadToFenceAsync()).Privmsgs());
    }

    [Fact]
    public async Task JoiningAChannel_ReplaysItsLastLines_WithServerTime_ToClientsWithoutChatHistory()
    {
        await using var server = await IrcSessions.StartWithStoreAsync(o => TestServer.WithoutFloodControl(o) with { IrcJoinReplay = 3 });
        using var bob = await server.LoginRawAsync("bob");
        await bob.RequestAsync(new { type = "join", id = "j", room = "ops" });
        var sent = new List<(string Id, string At)>();
        for (var i = 0; i < 5; i++)
        {
            var receipt = await bob.RequestAsync(new { type = "broadcast", id = i, room = "ops", text = $"line {i}" });
            sent.Add((receipt.Str("messageId"), receipt.TryGetProperty("sentAt", out var at) ? at.GetString()! : ""));
        }

        using var tagged = await IrcSessions.LoginAsync(server, "carol", "batch server-time message-tags");
        await tagged.SendAsync("JOIN #ops");
        var lines = await tagged.ReadToFenceAsync();
        var replay = lines.Privmsgs();
        Assert.Equal(["line 2", "line 3", "line 4"], replay.Select(m => m.Parameters[1]));
        Assert.Equal(sent[2..].Select(s => s.Id), replay.Select(m => m.Tag("msgid")));
        Assert.All(replay, m => Assert.True(IrcTime.TryParse(m.Tag("time"), out _)));
        var batch = lines.Single(l => l.Command == "BATCH" && l.Parameters[0].StartsWith('+'));
        Assert.Equal(["chathistory", "#ops"], batch.Parameters.Skip(1));
        Assert.All(replay, m => Assert.Equal(batch.Parameters[0][1..], m.Tag("batch")));
        Assert.True(lines.IndexOf(lines.Single(l => l.Command == "366" && l.Parameter(1) == "#ops")) < lines.IndexOf(replay[0]), "the replay comes after the names");

        using var plain = await IrcTestClient.LoginAsync(server, "dave");
        await plain.SendAsync("JOIN #ops");
        var plainReplay = (await plain.ReadToFenceAsync()).Privmsgs();
        Assert.Equal(3, plainReplay.Count);
        Assert.All(plainReplay, m => Assert.Matches(@"^\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] line \d$", m.Parameters[1]));
        Assert.All(plainReplay, m => Assert.Empty(m.Tags));

        using var asker = await IrcSessions.LoginAsync(server, "erin", AllCaps);
        await asker.SendAsync("JOIN #ops");
        Assert.Empty((await asker.ReadToFenceAsync()).Privmsgs());
    }

    [Fact]
    public async Task OfflineMessages_ArriveAfterRegistration_AndThePongConfirmsThem()
    {
        await using var server = await IrcSessions.StartWithStoreAsync();
        await server.EnsureUserAsync("dave");
        using var bob = await server.LoginRawAsync("bob");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, (await bob.RequestAsync(new { type = "send", id = i, to = "dave", text = $"while away {i}" })).GetProperty("queued").GetInt32());
        }

        // A first login that never answers the PING: the messages stay queued.
        using (var first = await IrcSessions.LoginAsync(server, "dave", "server-time"))
        {
            var ping = await first.ReadUntilAsync("PING");
            Assert.Equal(["while away 0", "while away 1", "while away 2"], first.Transcript.Where(l => l.Contains(" PRIVMSG ", StringComparison.Ordinal)).Select(l => l[(l.LastIndexOf(" :", StringComparison.Ordinal) + 2)..]));
            Assert.All(first.Transcript.Where(l => l.Contains(" PRIVMSG ", StringComparison.Ordinal)), l => Assert.StartsWith("@time=", l));
            Assert.StartsWith("offline-", ping.Parameters[0]);
        }

        await server.WaitUntilAsync(() => server.Server.GetClients().All(c => c.UserName != "dave"), "dave's first session ended");
        using (var second = await IrcTestClient.LoginAsync(server, "dave"))
        {
            var ping = await second.ReadUntilAsync("PING");
            Assert.Equal(3, second.Transcript.Count(l => l.Contains(" PRIVMSG dave :", StringComparison.Ordinal)));
            await second.SendAsync($"PONG :{ping.Parameters[0]}");
            await second.ReadToFenceAsync();
        }

        await server.WaitUntilAsync(() => server.Server.GetClients().All(c => c.UserName != "dave"), "dave's second session ended");
        using var third = await IrcTestClient.LoginAsync(server, "dave");
        Assert.DoesNotContain(await third.ReadToFenceAsync(), l => l.Command is "PRIVMSG" or "PING");
    }

    /// <summary>Sends CHATHISTORY and reads its batch: the PRIVMSG lines, each checked to carry the batch's reference.</summary>
    private static async Task<List<IrcMessage>> HistoryAsync(IrcTestClient client, string command)
    {
        await client.SendAsync("CHATHISTORY " + command);
        var start = await client.ReadUntilAsync("BATCH");
        Assert.True(start.Parameters[0].StartsWith('+') && start.Parameters[1] == "chathistory", string.Join(" | ", client.Transcript.TakeLast(5)));
        var reference = start.Parameters[0][1..];
        var messages = new List<IrcMessage>();
        for (var i = 0; i < 1000; i++)
        {
            var line = await client.ReadAsync() ?? throw new InvalidOperationException("closed inside a batch");
            if (line.Command == "BATCH")
            {
                Assert.Equal("-" + reference, line.Parameters[0]);
                return messages;
            }

            Assert.Equal(reference, line.Tag("batch"));
            messages.Add(line);
        }

        throw new InvalidOperationException("A batch of over 1000 lines.");
    }
}
