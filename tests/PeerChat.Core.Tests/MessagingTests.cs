using System.Net.Sockets;
using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

public sealed class MessagingTests
{
    private const string TrickyText = "deploy_done, v1.2,\nline two \"quoted\" — ünïcödé 🚀 msg_hi_127.0.0.1";

    [Fact]
    public async Task ThreeClients_ListBroadcastAndRelay()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        var carol = await server.LoginAsync("carol");
        using var data = JsonDocument.Parse("""{"build":42,"tags":["a","b"],"nested":{"ok":true,"none":null,"pi":3.14}}""");

        var list = await alice.ListAsync();
        var broadcast = await alice.BroadcastAsync(TrickyText, data.RootElement);
        var atBob = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        var atCarol = (ChatMessage)await carol.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        var relay = await bob.SendAsync("CAROL", "just for you", route: RoutePreference.Relay);
        var direct = (ChatMessage)await carol.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(["alice", "bob", "carol"], list.Select(c => c.UserName));
        Assert.All(list, c => Assert.StartsWith("127.0.0.1:", c.Address));
        Assert.Equal(2, broadcast.Recipients);
        foreach (var message in new[] { atBob, atCarol })
        {
            Assert.Equal(MessageKind.Broadcast, message.Kind);
            Assert.Equal("alice", message.From);
            Assert.Equal(TrickyText, message.Text);
            Assert.Equal(broadcast.MessageId, message.MessageId);
            Assert.True(JsonElement.DeepEquals(data.RootElement, message.Data!.Value), $"data changed: {message.Data}");
        }

        Assert.Equal(1, relay.Recipients);
        Assert.Equal((MessageKind.Direct, MessageRoute.Relay, "bob", "carol", "just for you"), (direct.Kind, direct.Route, direct.From, direct.To, direct.Text));
        Assert.False(alice.Events.TryRead(out var echoed), $"the sender got its own broadcast: {echoed}");
        Assert.True(server.Server.GetStatistics().MessagesRelayed >= 3);
    }

    [Fact]
    public async Task Presence_TellsSubscribersWhoJoinsAndLeaves_AndNobodyElse()
    {
        await using var server = await TestServer.StartAsync();
        var watcher = await server.LoginAsync("watcher", new ChatClientOptions { ReceivePresence = true });
        var quiet = await server.LoginAsync("quiet");

        var bob = await server.LoginAsync("bob");
        await bob.LogoutAsync();
        var seen = new List<ChatPresence>();
        for (var i = 0; i < 3; i++)
        {
            seen.Add((ChatPresence)await watcher.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience));
        }

        await quiet.PingAsync();

        Assert.Equal([(true, "quiet"), (true, "bob"), (false, "bob")], seen.Select(p => (p.Joined, p.UserName)));
        Assert.Equal(bob.Session!.ClientId, seen[1].ClientId);
        Assert.False(quiet.Events.TryRead(out var unexpected), $"a client that did not ask got {unexpected}");
    }

    [Fact]
    public async Task LoginWithReceiptsOff_SendsAndBroadcastsGoUnanswered_ErrorsStillCome()
    {
        await using var server = await TestServer.StartAsync();
        var bob = await server.LoginAsync("bob");
        var quiet = await server.LoginAsync("quiet");
        await quiet.LogoutAsync();
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync("hello");
        await raw.SendLineAsync("""{"type":"login","id":1,"user":"quiet","password":"correct horse battery","receipts":false}""");
        await raw.ReadFrameAsync("welcome");

        await raw.SendLineAsync("""{"type":"send","id":2,"to":"bob","text":"one"}""");
        await raw.SendLineAsync("""{"type":"broadcast","id":3,"text":"two"}""");
        await raw.SendLineAsync("""{"type":"send","id":4,"to":"ghost","text":"three"}""");
        await raw.SendLineAsync("""{"type":"ping","id":5}""");
        var answers = new[] { await raw.ReadFrameAsync(), await raw.ReadFrameAsync() };
        var atBob = new[] { (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience), (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) };

        // Requests are answered in order, so a receipt would have come before the error and the pong.
        answers[0].AssertError(ErrorCodes.NoSuchUser);
        Assert.Equal(4, answers[0].GetProperty("re").GetInt32());
        Assert.Equal(("pong", 5), (answers[1].Type(), answers[1].GetProperty("re").GetInt32()));
        Assert.Equal([("one", MessageKind.Direct), ("two", MessageKind.Broadcast)], atBob.Select(m => (m.Text, m.Kind)));
        Assert.Equal(2, server.Server.GetStatistics().MessagesRelayed);
    }

    [Fact]
    public async Task Send_ToSomeoneOffline_GetsNoSuchUser()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");

        var error = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("ghost", "hello?", route: RoutePreference.Relay));

        Assert.Equal(ErrorCodes.NoSuchUser, error.Code);
    }

    [Fact]
    public async Task ConnectPeer_TellsThePeerToExpectAToken_ThenGivesTheEndpointTheServerSaw()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.LoginAsync("alice");
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"signup","id":1,"user":"bob","password":"correct horse battery"}""");
        await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"login","id":2,"user":"bob","password":"correct horse battery","peer":{"port":40000}}""");
        await raw.ReadFrameAsync("welcome");

        var grant = await alice.ConnectPeerAsync("bob");
        var expect = await raw.ReadFrameAsync("peer_expect");
        var listed = (await alice.ListAsync()).Single(c => c.UserName == "bob");

        Assert.Equal("127.0.0.1:40000", grant.Endpoint);
        Assert.Equal(grant.Endpoint, listed.PeerEndpoint);
        Assert.Equal(grant.Token, expect.Str("token"));
        Assert.Equal("alice", expect.Str("from"));
        Assert.Equal(alice.Session!.ClientId, expect.Str("fromClientId"));
        Assert.True(Convert.FromBase64String(grant.Token.Replace('-', '+').Replace('_', '/') + "==").Length >= 16);
        var expiresIn = Protocol.WireTime.Parse(expect.Str("expiresAt")) - DateTimeOffset.UtcNow;
        Assert.InRange(expiresIn, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(31));
    }

    [Fact]
    public async Task ConnectPeer_ToAClientWithoutAListener_GetsPeerUnavailable_AndToNobody_NoSuchUser()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.LoginAsync("alice");
        await using var bob = await server.LoginAsync("bob", new ChatClientOptions { EnableDirect = false });

        var unavailable = await Assert.ThrowsAsync<ChatClientException>(() => alice.ConnectPeerAsync("bob"));
        var nobody = await Assert.ThrowsAsync<ChatClientException>(() => alice.ConnectPeerAsync("ghost"));

        Assert.Equal(ErrorCodes.PeerUnavailable, unavailable.Code);
        Assert.Equal(ErrorCodes.NoSuchUser, nobody.Code);
    }

    [Fact]
    public async Task AClientThatNeverReads_DoesNotDelayABroadcastToAHundredOthers_AndIsDroppedAsSlowConsumer()
    {
        const int others = 100;
        const int broadcasts = 200;
        await using var server = await TestServer.StartAsync(o => o with
        {
            MaxClients = others + 10,
            MaxPendingPerAddress = others + 10,
            MaxFrameBytes = 16 * 1024,
            SendQueueBytes = 64 * 1024,
            SocketSendBufferBytes = 16 * 1024,
            FloodBurst = broadcasts * 2,
            WriteTimeout = TimeSpan.FromSeconds(2),
        });
        var sender = await server.LoginAsync("sender");
        var readers = new List<ChatClient>();
        for (var i = 0; i < others; i++)
        {
            readers.Add(await server.LoginAsync($"reader{i:000}"));
        }

        // The stuck client logs in over a raw socket with a tiny receive window, then never reads again.
        using var stuck = RawClient.Connect(server.Port, s => s.ReceiveBufferSize = 4096);
        await stuck.ReadFrameAsync();
        await stuck.SendLineAsync("""{"type":"signup","id":1,"user":"stuck","password":"correct horse battery"}""");
        await stuck.ReadFrameAsync();
        await stuck.SendLineAsync("""{"type":"login","id":2,"user":"stuck","password":"correct horse battery"}""");
        await stuck.ReadFrameAsync("welcome");

        var text = new string('x', 1000);
        for (var i = 0; i < broadcasts; i++)
        {
            await sender.BroadcastAsync(text + i);
        }

        var dropped = await server.WaitForEventAsync<SlowConsumerDroppedEvent>();
        var received = await Task.WhenAll(readers.Select(async reader =>
        {
            var count = 0;
            while (count < broadcasts)
            {
                var next = await reader.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
                Assert.Equal(text + count, ((ChatMessage)next).Text);
                count++;
            }

            return count;
        }));
        var names = (await sender.ListAsync()).Select(c => c.UserName).ToList();

        Assert.Equal("stuck", dropped.UserName);
        Assert.All(received, count => Assert.Equal(broadcasts, count));
        Assert.DoesNotContain("stuck", names);
        Assert.Equal(others + 1, names.Count);
    }
}
