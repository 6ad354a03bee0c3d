using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

public sealed class DirectMessageTests
{
    // Tests of refused tokens wait this long for a peer_expect that never comes.
    private static readonly ChatClientOptions ShortHold = new() { PeerTokenWait = TimeSpan.FromMilliseconds(300) };

    [Fact]
    public async Task TwoSessions_ExchangeDirectMessages_AndTheServerRelaysNone()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        using var data = JsonDocument.Parse("""{"n":1,"list":[1,"two",null]}""");

        var receipts = new List<SendReceipt>();
        for (var i = 0; i < 3; i++)
        {
            receipts.Add(await alice.SendAsync("bob", $"hi bob {i}", i == 0 ? data.RootElement : null));
        }

        var reply = await bob.SendAsync("alice", "hi alice");
        var atBob = new List<ChatMessage>();
        for (var i = 0; i < 3; i++)
        {
            atBob.Add((ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience));
        }

        var atAlice = (ChatMessage)await alice.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        var statistics = server.Server.GetStatistics();

        Assert.All(receipts.Append(reply), r => Assert.Equal(MessageRoute.Direct, r.Route));
        Assert.All(receipts, r => Assert.True(r.RoundTrip > TimeSpan.Zero));
        Assert.Equal(["hi bob 0", "hi bob 1", "hi bob 2"], atBob.Select(m => m.Text));
        Assert.All(atBob, m => Assert.Equal((MessageKind.Direct, MessageRoute.Direct, "alice", "bob"), (m.Kind, m.Route, m.From, m.To)));
        Assert.Equal(receipts.Select(r => r.MessageId), atBob.Select(m => m.MessageId));
        Assert.True(JsonElement.DeepEquals(data.RootElement, atBob[0].Data!.Value));
        Assert.Equal(("hi alice", MessageRoute.Direct), (atAlice.Text, atAlice.Route));
        Assert.Equal(0, statistics.MessagesRelayed);

        // The connection is reused: one brokered connection each way, not one per message.
        Assert.Equal(2, statistics.DirectConnectionsBrokered);
    }

    [Fact]
    public async Task Auto_FallsBackToRelay_WhenThePeersListenerIsGone_AndDirectFails()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        await bob.CloseDirectListenerAsync();

        var auto = await alice.SendAsync("bob", "via auto");
        var direct = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("bob", "direct only", route: RoutePreference.Direct));
        var atBob = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(MessageRoute.Relay, auto.Route);
        Assert.Equal(("via auto", MessageRoute.Relay), (atBob.Text, atBob.Route));
        Assert.Equal(ErrorCodes.PeerUnavailable, direct.Code);
        Assert.False(bob.Events.TryRead(out var extra), $"the failed direct message arrived anyway: {extra}");
    }

    [Fact]
    public async Task APeerThatNeverAcks_FailsTheDirectSendAfterRequestTimeout_AndAutoRelaysInstead()
    {
        // Bob's "client" welcomes direct links on a listener of the test's own and then reads
        // without ever acking: the link must give up after RequestTimeout, not wait for ever.
        await using var server = await TestServer.StartAsync();
        using var bobsListener = new TcpListener(IPAddress.Loopback, 0);
        bobsListener.Start();
        var bobsPort = ((IPEndPoint)bobsListener.LocalEndpoint).Port;
        using var bob = await server.LoginRawAsync("bob", $",\"peer\":{{\"port\":{bobsPort}}}");
        var alice = await server.LoginAsync("alice", new ChatClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(400) });
        var silentPeer = Task.Run(async () =>
        {
            // Two links (the direct send's, then Auto's first try), each welcomed and left unanswered.
            var held = new List<TcpClient>();
            for (var i = 0; i < 2; i++)
            {
                held.Add(await bobsListener.AcceptTcpClientAsync().WaitAsync(TestServer.Patience));
                await held[^1].GetStream().WriteAsync("{\"type\":\"peer_welcome\"}\n"u8.ToArray());
            }

            return held;
        });

        var started = Stopwatch.GetTimestamp();
        var direct = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("bob", "direct only", route: RoutePreference.Direct).WaitAsync(TestServer.Patience));
        var waited = Stopwatch.GetElapsedTime(started);
        var auto = await alice.SendAsync("bob", "via auto").WaitAsync(TestServer.Patience);
        var relayed = await bob.ReadFrameAsync("message");
        var links = await silentPeer.WaitAsync(TestServer.Patience);
        links.ForEach(link => link.Dispose());

        Assert.Equal(ErrorCodes.PeerUnavailable, direct.Code);
        Assert.Contains("did not acknowledge", direct.Message, StringComparison.Ordinal);
        Assert.True(waited >= TimeSpan.FromMilliseconds(400), $"gave up after {waited.TotalMilliseconds:0} ms, before RequestTimeout");
        Assert.Equal(2, links.Count);
        Assert.Equal(MessageRoute.Relay, auto.Route);
        Assert.Equal("via auto", relayed.Str("text"));
    }

    [Fact]
    public async Task AForgedToken_DeliversNothing_AndTheReceiverKeepsWorking()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", ShortHold);

        var refused = await PresentAsync(bob, "alice", "AAAAAAAAAAAAAAAAAAAAAA");

        Assert.Equal(ErrorCodes.InvalidToken, refused);
        await AssertReceiverStillWorksAsync(alice, bob);
    }

    [Fact]
    public async Task AReplayedToken_IsRefused_TheSecondTime()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", ShortHold);
        var grant = await alice.ConnectPeerAsync("bob");

        var first = await PresentAsync(bob, "alice", grant.Token);
        var second = await PresentAsync(bob, "alice", grant.Token);

        Assert.Equal("peer_welcome", first);
        Assert.Equal(ErrorCodes.InvalidToken, second);
        await AssertReceiverStillWorksAsync(alice, bob);
    }

    [Fact]
    public async Task AnExpiredToken_IsRefused()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock, AuthTimeout = TimeSpan.FromDays(1) });
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", ShortHold with { TimeProvider = clock });
        var grant = await alice.ConnectPeerAsync("bob");
        await WaitForExpectationAsync(bob);

        clock.Advance(TimeSpan.FromSeconds(30));
        var refused = await PresentAsync(bob, "alice", grant.Token);

        Assert.Equal(ErrorCodes.InvalidToken, refused);
    }

    [Fact]
    public async Task ATokenPresentedByTheWrongSender_IsRefused()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", ShortHold);
        var grant = await alice.ConnectPeerAsync("bob");

        var refused = await PresentAsync(bob, "mallory", grant.Token);

        Assert.Equal(ErrorCodes.InvalidToken, refused);
        await AssertReceiverStillWorksAsync(alice, bob);
    }

    [Fact]
    public async Task ATokenForAnotherReceiver_IsRefused()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", ShortHold);
        var carol = await server.LoginAsync("carol", ShortHold);
        var grantForBob = await alice.ConnectPeerAsync("bob");

        var refused = await PresentAsync(carol, "alice", grantForBob.Token);

        Assert.Equal(ErrorCodes.InvalidToken, refused);
        await AssertReceiverStillWorksAsync(alice, carol);
    }

    [Fact]
    public async Task ACopyOfADirectMessage_OnAFreshLink_IsAckedButDeliveredOnce()
    {
        // What a sender does when an ack was lost: the same message, under the same id, on a new link.
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        using var first = await OpenRawLinkAsync(alice, bob);
        using var second = await OpenRawLinkAsync(alice, bob);

        await first.SendLineAsync("""{"type":"message","messageId":"m-1","text":"one"}""");
        var firstAck = await first.ReadFrameAsync("ack");
        await second.SendLineAsync("""{"type":"message","messageId":"m-1","text":"one"}""");
        var copyAck = await second.ReadFrameAsync("ack");
        await second.SendLineAsync("""{"type":"message","messageId":"m-2","text":"two"}""");
        await second.ReadFrameAsync("ack");
        var delivered = new[] { (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience), (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) };

        Assert.Equal(("m-1", "m-1"), (firstAck.Str("messageId"), copyAck.Str("messageId")));
        Assert.Equal(["one", "two"], delivered.Select(m => m.Text));
        Assert.False(bob.Events.TryRead(out var extra), $"a copy was delivered: {extra}");
    }

    [Fact]
    public async Task ARelayedCopy_NamingADirectMessageAlreadyReceived_IsNotDeliveredAgain()
    {
        // What Auto does when the direct send failed after its message arrived: send with directId.
        await using var server = await TestServer.StartAsync();
        var bob = await server.LoginAsync("bob");
        using var alice = server.ConnectRaw();
        await alice.ReadFrameAsync("hello");
        await alice.SendLineAsync("""{"type":"signup","id":1,"user":"alice","password":"correct horse battery"}""");
        await alice.ReadFrameAsync();
        await alice.SendLineAsync("""{"type":"login","id":2,"user":"alice","password":"correct horse battery"}""");
        await alice.ReadFrameAsync("welcome");
        await alice.SendLineAsync("""{"type":"connect_peer","id":3,"to":"bob"}""");
        var grant = await alice.ReadFrameAsync("peer");
        await WaitForExpectationAsync(bob);
        using var link = RawClient.Connect(bob.DirectPort!.Value);
        await link.SendLineAsync(JsonSerializer.Serialize(new { type = "peer_hello", from = "alice", token = grant.Str("token") }));
        await link.ReadFrameAsync("peer_welcome");
        await link.SendLineAsync("""{"type":"message","messageId":"d-1","text":"direct"}""");
        await link.ReadFrameAsync("ack");

        await alice.SendLineAsync("""{"type":"send","id":4,"to":"bob","text":"relayed copy","directId":"d-1"}""");
        var copySent = await alice.ReadFrameAsync("sent");
        await alice.SendLineAsync("""{"type":"send","id":5,"to":"bob","text":"relayed new","directId":"d-2"}""");
        await alice.ReadFrameAsync("sent");
        var delivered = new[] { (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience), (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) };
        await bob.PingAsync();

        Assert.Equal(1, copySent.GetProperty("recipients").GetInt32());
        Assert.Equal([("direct", MessageRoute.Direct), ("relayed new", MessageRoute.Relay)], delivered.Select(m => (m.Text, m.Route)));
        Assert.False(bob.Events.TryRead(out var extra), $"a copy was delivered: {extra}");
    }

    [Fact]
    public async Task ADirectConnection_UnusedForDirectIdleTimeout_IsClosedByTheReceiver()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", new ChatClientOptions { DirectIdleTimeout = TimeSpan.FromMilliseconds(300) });
        var grant = await alice.ConnectPeerAsync("bob");
        using var raw = RawClient.Connect(bob.DirectPort!.Value);
        await raw.SendLineAsync(JsonSerializer.Serialize(new { type = "peer_hello", from = "alice", token = grant.Token }));
        await raw.ReadFrameAsync("peer_welcome");

        await raw.SendLineAsync("""{"type":"message","messageId":"m-1","text":"one"}""");
        var ack = await raw.ReadFrameAsync();
        var afterIdle = await raw.ReadUntilClosedAsync();

        Assert.Equal("m-1", ack.Str("messageId"));
        Assert.Empty(afterIdle);
    }

    [Theory]
    [InlineData("not json", ErrorCodes.BadFrame)]
    [InlineData("oversized", ErrorCodes.FrameTooLarge)]
    public async Task ALineThatIsNoFrame_OnADirectLink_IsAnsweredWithItsCode_AndEndsTheLink(string line, string expectedCode)
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", new ChatClientOptions { MaxDirectFrameBytes = 1024 });
        using var link = await RawClient.OpenDirectLinkAsync(alice, bob);

        await link.SendLineAsync(line == "oversized" ? new string('x', 2048) : line);
        var answer = await link.ReadFrameAsync("error");

        Assert.Equal(expectedCode, answer.Code());
        Assert.Empty(await link.ReadUntilClosedAsync());
    }

    [Fact]
    public async Task ADirectMessage_IsStampedByTheSendersClock()
    {
        // One clock per side: the sender's TimeProvider, not the system's, says when it sent.
        var sendersClock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice", new ChatClientOptions { TimeProvider = sendersClock });
        var bob = await server.LoginAsync("bob");

        await alice.SendAsync("bob", "when?", route: RoutePreference.Direct);
        var message = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(sendersClock.GetUtcNow(), message.SentAt);
    }

    [Fact]
    public async Task TwentySessions_SendingToEachOtherDirectlyAtOnce_DeliverEveryMessageExactlyOnce()
    {
        const int sessions = 20;
        await using var server = await TestServer.StartAsync(o => o with { FloodBurst = 100 });
        var clients = new List<ChatClient>();
        for (var i = 0; i < sessions; i++)
        {
            clients.Add(await server.LoginAsync($"s{i:00}"));
        }

        var sends = from sender in clients
                    from receiver in clients
                    where sender != receiver
                    select sender.SendAsync(receiver.Session!.UserName, $"{sender.Session!.UserName}->{receiver.Session.UserName}", route: RoutePreference.Direct);
        var receipts = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));
        var received = await Task.WhenAll(clients.Select(async client =>
        {
            var texts = new List<string>();
            while (texts.Count < sessions - 1)
            {
                var message = (ChatMessage)await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
                Assert.Equal(MessageRoute.Direct, message.Route);
                texts.Add(message.Text);
            }

            return (client.Session!.UserName, texts);
        }));

        Assert.Equal(sessions * (sessions - 1), receipts.Length);
        Assert.All(receipts, r => Assert.Equal(MessageRoute.Direct, r.Route));
        foreach (var (user, texts) in received)
        {
            var expected = clients.Select(c => c.Session!.UserName).Where(u => u != user).Select(u => $"{u}->{user}").Order();
            Assert.Equal(expected, texts.Order());
        }

        Assert.All(clients, c => Assert.False(c.Events.TryRead(out _), "a message arrived twice"));
        Assert.Equal(0, server.Server.GetStatistics().MessagesRelayed);
    }

    /// <summary>Connects to <paramref name="receiver"/>'s listener as a raw peer; returns the answer's type or error code.</summary>
    private static async Task<string> PresentAsync(ChatClient receiver, string from, string token)
    {
        using var raw = RawClient.Connect(receiver.DirectPort!.Value);
        await raw.SendLineAsync(JsonSerializer.Serialize(new { type = "peer_hello", from, token }));
        var answer = await raw.ReadFrameAsync();
        if (answer.Type() == "peer_welcome")
        {
            await raw.SendLineAsync("""{"type":"message","messageId":"raw1","text":"over a raw link"}""");
            var ack = await raw.ReadFrameAsync();
            Assert.Equal(("ack", "raw1"), (ack.Type(), ack.Str("messageId")));
            var delivered = (ChatMessage)await receiver.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
            Assert.Equal((from, "over a raw link"), (delivered.From, delivered.Text));
            return answer.Type();
        }

        // Refused: whatever the stranger sends next is never delivered, and the connection closes.
        try
        {
            await raw.SendLineAsync("""{"type":"message","messageId":"sneaky","text":"let me in"}""");
        }
        catch (IOException)
        {
            // Already closed.
        }

        Assert.Empty(await raw.ReadUntilClosedAsync());
        Assert.False(receiver.Events.TryRead(out var leaked), $"a refused connection delivered {leaked}");
        return answer.Code()!;
    }

    private static async Task AssertReceiverStillWorksAsync(ChatClient sender, ChatClient receiver)
    {
        var receipt = await sender.SendAsync(receiver.Session!.UserName, "still there?", route: RoutePreference.Direct);
        var message = (ChatMessage)await receiver.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(MessageRoute.Direct, receipt.Route);
        Assert.Equal("still there?", message.Text);
    }

    /// <summary>A raw direct link from <paramref name="sender"/>'s user to <paramref name="receiver"/>, welcomed.</summary>
    private static async Task<RawClient> OpenRawLinkAsync(ChatClient sender, ChatClient receiver)
    {
        var grant = await sender.ConnectPeerAsync(receiver.Session!.UserName);
        await WaitForExpectationAsync(receiver);
        var link = RawClient.Connect(receiver.DirectPort!.Value);
        await link.SendLineAsync(JsonSerializer.Serialize(new { type = "peer_hello", from = sender.Session!.UserName, token = grant.Token }));
        await link.ReadFrameAsync("peer_welcome");
        return link;
    }

    /// <summary>The receiver learns of a token from the server; a ping after it proves peer_expect was read first.</summary>
    private static Task WaitForExpectationAsync(ChatClient receiver) => receiver.PingAsync();
}
