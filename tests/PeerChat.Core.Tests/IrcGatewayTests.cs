using System.Text;
using PeerChat.Core.Irc;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>The IRC gateway over real sockets: registration, logins, #everyone and direct messages with peerchat/1 users, presence, limits.</summary>
public sealed class IrcGatewayTests
{
    private static Task<TestServer> StartAsync(Func<ChatServerOptions, ChatServerOptions>? configure = null) =>
        TestServer.StartAsync(o => (configure?.Invoke(o) ?? o) with { IrcPort = 0 });

    [Fact]
    public async Task TheGateway_IsOffUnlessAsked_AndPort0PicksAFreePort()
    {
        await using var without = await TestServer.StartAsync();
        await using var with = await StartAsync();

        Assert.Equal(0, without.Server.IrcPort);
        Assert.Null(without.Server.IrcEndPoint);
        Assert.NotEqual(0, with.Server.IrcPort);
        Assert.NotEqual(with.Server.Port, with.Server.IrcPort);
    }

    [Fact]
    public async Task PassWithTheNickAsAccount_Registers_With001To005_Motd_AndJoinsEveryone()
    {
        await using var server = await StartAsync();
        await server.EnsureUserAsync("alice");
        using var irc = IrcTestClient.Connect(server.Server.IrcPort);

        await irc.SendAsync($"PASS :{TestServer.Password}", "NICK alice", "USER a 0 * :Alice A.");

        var welcome = await irc.ReadUntilAsync("001");
        Assert.Equal("alice", welcome.Parameters[0]);
        Assert.Equal(IrcText.ServerName, welcome.Source);
        var isupport = string.Join(' ', (await irc.ReadUntilAsync("005")).Parameters);
        Assert.Contains("CHANTYPES=#", isupport);
        Assert.Contains("LINELEN=512", isupport);
        Assert.Contains("NICKLEN=32", isupport);
        Assert.Contains("CASEMAPPING=ascii", isupport);
        await irc.ReadUntilAsync("376");
        var join = await irc.ReadUntilAsync("JOIN");
        Assert.Equal("alice!alice@peerchat", join.Source);
        Assert.Equal(["#everyone"], join.Parameters);
        await irc.ReadUntilAsync("332");
        var names = await irc.ReadUntilAsync("353");
        Assert.Contains("alice", names.Parameters[^1].Split(' '));
        await irc.ReadUntilAsync("366");
        var loggedIn = await server.WaitForEventAsync<ClientLoggedInEvent>(e => e.UserName == "alice");
        Assert.Contains(server.Server.GetClients(), c => c.UserName == "alice" && c.Via == "irc");
    }

    [Fact]
    public async Task APasswordWithSpaces_SentWithoutAColon_StillLogsIn()
    {
        await using var server = await StartAsync();
        await server.EnsureUserAsync("carol");
        using var irc = IrcTestClient.Connect(server.Server.IrcPort);

        // As irssi and Python's irc library send it: "PASS correct horse battery".
        await irc.SendAsync($"PASS {TestServer.Password}", "NICK carol", "USER c 0 * :C");

        Assert.Equal("carol", (await irc.ReadUntilAsync("001")).Parameters[0]);
    }

    [Fact]
    public async Task PassUserColonPassword_LogsInAsThatAccount_WhateverTheNick()
    {
        await using var server = await StartAsync();
        await server.EnsureUserAsync("Bob");
        using var irc = IrcTestClient.Connect(server.Server.IrcPort);

        await irc.SendAsync($"PASS :bob:{TestServer.Password}", "NICK someone", "USER b 0 * :B");

        Assert.Equal("Bob", (await irc.ReadUntilAsync("001")).Parameters[0]);
        Assert.Equal("Bob!Bob@peerchat", (await irc.ReadUntilAsync("JOIN")).Source);
    }

    [Fact]
    public async Task SaslPlain_LogsIn_With900And903_ThenRegistersAtCapEnd()
    {
        await using var server = await StartAsync();
        await server.EnsureUserAsync("carol");
        using var irc = IrcTestClient.Connect(server.Server.IrcPort);

        await irc.SendAsync("CAP LS 302", "NICK carol", "USER c 0 * :C");
        var ls = await irc.ReadUntilAsync("CAP");
        Assert.Equal(["*", "LS"], ls.Parameters.Take(2));
        Assert.Contains("sasl=PLAIN", ls.Parameters[^1].Split(' '));
        await irc.SendAsync("CAP REQ :sasl");
        Assert.Equal("ACK", (await irc.ReadUntilAsync("CAP")).Parameters[1]);
        await irc.SendAsync("AUTHENTICATE PLAIN");
        Assert.Equal(["+"], (await irc.ReadUntilAsync("AUTHENTICATE")).Parameters);
        await irc.SendAsync("AUTHENTICATE " + Plain("", "carol", TestServer.Password));

        var loggedIn = await irc.ReadUntilAsync("900");
        Assert.Equal("carol", loggedIn.Parameters[2]);
        await irc.ReadUntilAsync("903");
        Assert.Null(server.Server.Chat.Find("carol"));
        await irc.SendAsync("CAP END");
        Assert.Equal("carol", (await irc.ReadUntilAsync("001")).Parameters[0]);
        await irc.ReadUntilAsync("366");
        Assert.NotNull(server.Server.Chat.Find("carol"));
    }

    [Fact]
    public async Task AWrongPassword_Gets464ThenError_OrSasl904_AndIsThrottledWithThePeerChatLogins()
    {
        await using var server = await StartAsync(o => o with { ThrottleFailures = 2 });
        await server.EnsureUserAsync("dave");

        using (var pass = IrcTestClient.Connect(server.Server.IrcPort))
        {
            await pass.SendAsync("PASS wrong-password", "NICK dave", "USER d 0 * :D");
            Assert.Contains("Password incorrect", (await pass.ReadUntilAsync("464")).Parameters[^1]);
            Assert.Contains("Bad password", (await pass.ReadUntilAsync("ERROR")).Parameters[0]);
            Assert.Null(await pass.ReadAsync());
        }

        using var sasl = IrcTestClient.Connect(server.Server.IrcPort);
        await sasl.SendAsync("CAP REQ :sasl", "AUTHENTICATE PLAIN", "AUTHENTICATE " + Plain("dave", "dave", "still wrong"));
        Assert.Contains("wrong password", (await sasl.ReadUntilAsync("904")).Parameters[^1]);

        // Two failures from this address for dave: the next attempt, right password or not, on
        // either port, is throttled.
        await sasl.SendAsync("AUTHENTICATE PLAIN", "AUTHENTICATE " + Plain("", "dave", TestServer.Password));
        Assert.Contains("too many failed logins", (await sasl.ReadUntilAsync("904")).Parameters[^1]);
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync("hello");
        var answer = await raw.RequestAsync(new { type = "login", id = 1, user = "dave", password = TestServer.Password });
        answer.AssertError("throttled");
    }

    [Fact]
    public async Task NoPasswordAndNoSasl_IsNoGuestAccess_ClosedWithAClearError()
    {
        await using var server = await StartAsync();
        using var irc = IrcTestClient.Connect(server.Server.IrcPort);

        await irc.SendAsync("NICK guest", "USER g 0 * :G");

        var lines = await irc.ReadUntilClosedAsync();
        Assert.Contains(lines, l => l.Command == "NOTICE" && l.Parameters[^1].Contains("no guest access", StringComparison.Ordinal));
        Assert.Contains("No login given", lines[^1].Parameters[0]);
        Assert.Equal("ERROR", lines[^1].Command);
    }

    [Fact]
    public async Task BeforeRegistration_ChatGets451_UnknownCommands421_MissingParameters461_PingIsAnswered()
    {
        await using var server = await StartAsync();
        using var irc = IrcTestClient.Connect(server.Server.IrcPort);

        await irc.SendAsync("PRIVMSG #everyone :hi", "USER onlyone", "PING :tok");

        Assert.Equal("451", (await irc.ReadAsync())!.Command);
        Assert.Equal(["*", "USER", "Not enough parameters"], (await irc.ReadUntilAsync("461")).Parameters);
        Assert.Equal(["irc.peerchat", "tok"], (await irc.ReadUntilAsync("PONG")).Parameters);

        using var registered = await IrcTestClient.LoginAsync(server, "erin");
        await registered.SendAsync("FROBNICATE x");
        Assert.Equal(["erin", "FROBNICATE", "Unknown command"], (await registered.ReadUntilAsync("421")).Parameters);
    }

    [Fact]
    public async Task Everyone_CarriesMessagesBothWays_BetweenIrcAndPeerChat()
    {
        await using var server = await StartAsync();
        using var irc = await IrcTestClient.LoginAsync(server, "alice");
        using var raw = await server.LoginRawAsync("bob");

        await raw.SendLineAsync("""{"type":"broadcast","id":1,"text":"hello IRC"}""");
        var fromBob = await irc.ReadUntilAsync("PRIVMSG");
        await irc.SendAsync("PRIVMSG #everyone :hello PowerShell, with spaces: and a colon");
        var fromAlice = await raw.ReadFrameAsync("message");

        Assert.Equal("bob!bob@peerchat", fromBob.Source);
        Assert.Equal(["#everyone", "hello IRC"], fromBob.Parameters);
        Assert.Equal("alice", fromAlice.Str("from"));
        Assert.Equal("hello PowerShell, with spaces: and a colon", fromAlice.Str("text"));
        Assert.Contains(server.Server.GetClients(), c => c.UserName == "alice" && c.Messages == 1);
    }

    [Fact]
    public async Task DirectMessages_GoBothWays_NoticeStaysANotice_AndAnUnknownNickGets401()
    {
        await using var server = await StartAsync();
        using var irc = await IrcTestClient.LoginAsync(server, "alice");
        using var raw = await server.LoginRawAsync("bob");

        await irc.SendAsync("PRIVMSG Bob :just you", "NOTICE bob :a notice", "PRIVMSG nobody :hello?");
        var first = await raw.ReadFrameAsync("message");
        var second = await raw.ReadFrameAsync("message");
        var noSuchNick = await irc.ReadUntilAsync("401");
        await raw.SendLineAsync("""{"type":"send","id":2,"to":"alice","text":"back to you"}""");
        var reply = await irc.ReadUntilAsync("PRIVMSG");

        Assert.Equal(("alice", "bob", "just you"), (first.Str("from"), first.Str("to"), first.Str("text")));
        Assert.Equal("a notice", second.Str("text"));
        Assert.Equal(["alice", "nobody", "No such nick: there is no PeerChat account of that name"], noSuchNick.Parameters);
        Assert.Equal("bob!bob@peerchat", reply.Source);
        Assert.Equal(["alice", "back to you"], reply.Parameters);

        // The notice comes back to IRC as a NOTICE.
        await raw.SendLineAsync("""{"type":"send","id":3,"to":"alice","text":"n","data":{"irc":"notice"}}""");
        Assert.Equal(["alice", "n"], (await irc.ReadUntilAsync("NOTICE", m => m.Source == "bob!bob@peerchat")).Parameters);
    }

    [Fact]
    public async Task ADirectMessageToAnOfflineUser_IsQueued_AndDeliveredAtTheirNextLogin()
    {
        await using var server = await TestServer.StartWithStoreAsync(o => o with { IrcPort = 0 });
        await server.EnsureUserAsync("bob");
        using var irc = await IrcTestClient.LoginAsync(server, "alice");

        await irc.SendAsync("PRIVMSG bob :while you were out", "PING :after");
        var pong = await irc.ReadUntilAsync("PONG");
        using var raw = await server.LoginRawAsync("bob");
        var queued = await raw.ReadFrameAsync("message");

        Assert.DoesNotContain(irc.Transcript, l => l.Contains(" 401 ", StringComparison.Ordinal));
        Assert.Equal(("alice", "while you were out"), (queued.Str("from"), queued.Str("text")));
    }

    [Fact]
    public async Task Presence_IsJoinAndQuitOnEveryone_ForIrcAndPeerChatUsersAlike()
    {
        await using var server = await StartAsync();
        using var watcher = await server.LoginRawAsync("watcher", ""","presence":true""");
        using var irc = await IrcTestClient.LoginAsync(server, "alice");
        var ircJoined = await watcher.ReadFrameAsync("presence");

        var bob = await server.LoginRawAsync("bob");
        var bobJoins = await irc.ReadUntilAsync("JOIN");
        bob.Dispose();
        var bobQuits = await irc.ReadUntilAsync("QUIT");
        await irc.SendAsync("QUIT :bye");
        var closing = await irc.ReadUntilAsync("ERROR");
        var ircLeft = await watcher.ReadFrameAsync("presence");
        while (ircLeft.Str("user") != "alice")
        {
            ircLeft = await watcher.ReadFrameAsync("presence");
        }

        Assert.Equal(("joined", "alice"), (ircJoined.Str("event"), ircJoined.Str("user")));
        Assert.Equal(("bob!bob@peerchat", "#everyone"), (bobJoins.Source, bobJoins.Parameters[0]));
        Assert.Equal("bob!bob@peerchat", bobQuits.Source);
        Assert.Contains("Quit: bye", closing.Parameters[0]);
        Assert.Equal(("left", "alice"), (ircLeft.Str("event"), ircLeft.Str("user")));
    }

    [Fact]
    public async Task TheNamesOfEveryone_WithManyOnline_FillLinesOf512Bytes_EachNameOnce()
    {
        await using var server = await StartAsync();

        // 40 names of 28 bytes: over 1,100 bytes of names, so at least three 353 lines.
        var expected = new List<string> { "watcher" };
        for (var i = 0; i < 40; i++)
        {
            var name = $"member{i:00}-of-a-crowded-room";
            await server.LoginAsync(name);
            expected.Add(name);
        }

        using var irc = await IrcTestClient.LoginAsync(server, "watcher");

        var lines = irc.Transcript.Where(l => l.Split(' ')[1] == "353").ToList();
        Assert.True(lines.Count >= 3, string.Join(" | ", lines));
        Assert.All(lines, l => Assert.True(Encoding.UTF8.GetByteCount(l) + 2 <= 512, l));

        // Cut only where the next name would not fit (every name here is 28 bytes, "watcher" fewer).
        Assert.All(lines.SkipLast(1), l => Assert.True(Encoding.UTF8.GetByteCount(l) + 1 + 28 + 2 > 512, l));
        var names = lines.SelectMany(l => l[(l.IndexOf(" :", StringComparison.Ordinal) + 2)..].Split(' '));
        Assert.Equal(expected.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ALongMessageFromPeerChat_IsCutIntoLinesOf512Bytes_AtItsLineBreaksAndBetweenCharacters()
    {
        await using var server = await StartAsync();
        using var irc = await IrcTestClient.LoginAsync(server, "alice");
        using var raw = await server.LoginRawAsync("bob");
        var text = "first line\\n" + string.Concat(Enumerable.Repeat("é", 600));

        await raw.SendLineAsync($$"""{"type":"broadcast","id":1,"text":"{{text}}"}""");
        var first = await irc.ReadUntilAsync("PRIVMSG");
        var second = await irc.ReadUntilAsync("PRIVMSG");
        var third = await irc.ReadUntilAsync("PRIVMSG");
        var fourth = await irc.ReadUntilAsync("PRIVMSG");

        // 600 two-byte characters after a 38-byte prefix: 236, 236 and 128 of them.
        Assert.Equal("first line", first.Parameters[1]);
        Assert.Equal([236, 236, 128], new[] { second, third, fourth }.Select(m => m.Parameters[1].Length));
        Assert.All(irc.Transcript.Where(l => l.Contains("PRIVMSG", StringComparison.Ordinal)), l => Assert.True(Encoding.UTF8.GetByteCount(l) + 2 <= 512, l));
    }

    [Fact]
    public async Task ALineTooLong_Gets417_WithOrWithoutItsNewline_AndTheConnectionGoesOn()
    {
        await using var server = await StartAsync();
        using var irc = await IrcTestClient.LoginAsync(server, "alice");
        using var raw = await server.LoginRawAsync("bob");

        await irc.SendAsync("PRIVMSG #everyone :" + new string('x', 600));
        var tooLong = await irc.ReadUntilAsync("417");
        await irc.SendBytesAsync(Encoding.ASCII.GetBytes(new string('y', 20_000)));
        await irc.SendAsync(" tail of that line", "PRIVMSG #everyone :short");
        var noNewline = await irc.ReadUntilAsync("417");
        var delivered = await raw.ReadFrameAsync("message");

        Assert.Equal("alice", tooLong.Parameters[0]);
        Assert.Equal("417", noNewline.Command);
        Assert.Equal("short", delivered.Str("text"));
    }

    [Fact]
    public async Task AnEndlessLine_CostsFloodTokens_AsItIsDropped_SoItsReadingIsPaused()
    {
        // A burst that registration leaves room in (its lines cost tokens too).
        await using var server = await StartAsync(o => o with { FloodBurst = 10, FloodRate = 1 });
        using var irc = await IrcTestClient.LoginAsync(server, "alice");

        // 200 KiB with no LF: many reads of the receive buffer, each dropped; once the burst is
        // spent the flood control pauses the reading, and says so.
        await irc.SendBytesAsync(Encoding.ASCII.GetBytes(new string('z', 200 * 1024)));
        await irc.ReadUntilAsync("417");
        var paused = await irc.ReadUntilAsync("NOTICE", m => m.Parameters[^1].StartsWith("Too many lines", StringComparison.Ordinal));

        Assert.Equal("alice", paused.Parameters[0]);
    }

    [Fact]
    public async Task InvalidUtf8_GetsAFail_IsNotSent_AndTheConnectionGoesOn()
    {
        await using var server = await StartAsync();
        using var irc = await IrcTestClient.LoginAsync(server, "alice");
        using var raw = await server.LoginRawAsync("bob");

        await irc.SendBytesAsync([.. "PRIVMSG #everyone :caf"u8, 0xE9, .. "\r\nPRIVMSG #everyone :café\r\n"u8]);
        var fail = await irc.ReadUntilAsync("FAIL");
        var delivered = await raw.ReadFrameAsync("message");

        Assert.Equal(["PRIVMSG", "INVALID_UTF8"], fail.Parameters.Take(2));
        Assert.Equal("café", delivered.Str("text"));
    }

    [Fact]
    public async Task AClientThatNeverRegisters_IsClosedAtAuthTimeout_WithAnErrorThatSaysWhy()
    {
        await using var server = await StartAsync(o => o with { AuthTimeout = TimeSpan.FromMilliseconds(500) });
        using var irc = IrcTestClient.Connect(server.Server.IrcPort);

        await irc.SendAsync("NICK slow");
        var lines = await irc.ReadUntilClosedAsync();

        Assert.Equal("ERROR", lines[^1].Command);
        Assert.Matches(@"^Closing link: slow\[127\.0\.0\.1\] \(No successful login within 0\.5 s\)$", lines[^1].Parameters[0]);
        await server.WaitForEventAsync<ClientDisconnectedEvent>(e => e.Reason == "auth_timeout");
    }

    [Fact]
    public async Task AFlood_IsPaused_AndOtherUsersAreUnaffected()
    {
        await using var server = await StartAsync(o => o with { FloodBurst = 20, FloodRate = 10 });
        using var flooder = await IrcTestClient.LoginAsync(server, "flooder");
        using var raw = await server.LoginRawAsync("bob");
        using var calm = await IrcTestClient.LoginAsync(server, "calm");

        var flood = flooder.SendAsync([.. Enumerable.Range(0, 2000).Select(i => $"PRIVMSG #everyone :flood {i}")]);
        var paused = await flooder.ReadUntilAsync("NOTICE", m => m.Parameters[^1].StartsWith("Too many lines", StringComparison.Ordinal));
        var started = DateTime.UtcNow;
        await calm.SendAsync("PING :still-here");
        await calm.ReadUntilAsync("PONG");
        var ping = await raw.RequestAsync(new { type = "ping", id = "p" });

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.Equal("pong", ping.Type());
        Assert.True(server.Server.Chat.Find("flooder") is not null);
        Assert.False(flood.IsFaulted);
    }

    [Fact]
    public async Task MaxClients_IsSharedWithTheMainPort_TheNextIrcClientGetsAnError()
    {
        await using var server = await StartAsync(o => o with { MaxClients = 2 });
        await server.EnsureUserAsync("alice");
        await server.EnsureUserAsync("bob");

        // The signups' connections must have ended before the two places are taken.
        await server.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the signup connections have ended");
        using var irc = await IrcTestClient.LoginAsync(server, "alice");
        using var raw = await server.LoginRawAsync("bob");

        using var third = IrcTestClient.Connect(server.Server.IrcPort);
        var lines = await third.ReadUntilClosedAsync();

        Assert.Equal("ERROR", Assert.Single(lines).Command);
        Assert.Contains("maximum of 2 clients", lines[0].Parameters[0]);
    }

    [Fact]
    public async Task ASecondLogin_ReplacesTheIrcSession_WhichIsToldWithAnError()
    {
        await using var server = await StartAsync();
        using var irc = await IrcTestClient.LoginAsync(server, "alice");

        using var raw = await server.LoginRawAsync("alice");
        var closing = await irc.ReadUntilAsync("ERROR");

        Assert.Contains("You logged in somewhere else", closing.Parameters[0]);
        Assert.Null(await irc.ReadAsync());
        Assert.Equal("peerchat", Assert.Single(server.Server.GetClients(), c => c.UserName == "alice").Via);
    }

    [Fact]
    public async Task WithACertificate_TheIrcPortSpeaksTls_AndAPlainClientIsToldSo()
    {
        using var certificate = Security.Certificates.CreateSelfSigned("peerchat-test");
        await using var server = await StartAsync(o => o with { Certificate = certificate });
        await server.Store.TryAddAsync("alice", Accounts.PasswordHasher.Hash(TestServer.Password, TestServer.TestIterations), CancellationToken.None);

        using var tls = await IrcTestClient.ConnectTlsAsync(server.Server.IrcPort, certificate);
        await tls.SendAsync($"PASS :{TestServer.Password}", "NICK alice", "USER a 0 * :A");
        var welcome = await tls.ReadUntilAsync("001");
        using var plain = IrcTestClient.Connect(server.Server.IrcPort);
        await plain.SendAsync("NICK bob");
        var lines = await plain.ReadUntilClosedAsync();

        Assert.Equal("alice", welcome.Parameters[0]);
        Assert.Equal("ERROR", Assert.Single(lines).Command);
        Assert.Contains("This port speaks TLS", lines[0].Parameters[0]);
    }

    private static string Plain(string authzid, string authcid, string password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{authzid}\0{authcid}\0{password}"));
}
