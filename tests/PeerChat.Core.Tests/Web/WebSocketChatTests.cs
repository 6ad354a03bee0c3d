using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests.Web;

/// <summary>WebSocket clients are ordinary clients of the same chat: peerchat.v1 and text.ircv3.net against TCP peerchat/1.</summary>
public sealed class WebSocketChatTests
{
    private static Task<TestServer> StartAsync(Func<ChatServerOptions, ChatServerOptions>? configure = null) =>
        TestServer.StartAsync(o => (configure?.Invoke(o) ?? o) with { WebPort = 0 });

    [Fact]
    public async Task APeerChatV1Client_ChatsWithATcpClient_BothWays()
    {
        await using var server = await StartAsync();
        using var web = await WebSocketTestClient.LoginAsync(server, "webby");
        using var tcp = await server.LoginRawAsync("tcpy");

        await web.SendTextAsync("""{"type":"broadcast","id":1,"text":"from the browser"}""");
        var atTcp = await tcp.ReadFrameAsync("message");
        await tcp.SendLineAsync("""{"type":"send","id":2,"to":"webby","text":"back over TCP"}""");
        var atWeb = await web.ReadFrameAsync("message");

        Assert.Equal(("webby", "from the browser"), (atTcp.GetProperty("from").GetString(), atTcp.GetProperty("text").GetString()));
        Assert.Equal(("tcpy", "back over TCP"), (atWeb.GetProperty("from").GetString(), atWeb.GetProperty("text").GetString()));
        Assert.Equal("peerchat.v1", web.Socket.SubProtocol);
        var clients = server.Server.GetClients().ToDictionary(c => c.UserName, c => c.Via);
        Assert.Equal(ClientInfo.ViaWebSocket, clients["webby"]);
        Assert.Equal(ClientInfo.ViaPeerChat, clients["tcpy"]);
    }

    [Fact]
    public async Task MessagesOfEveryFrameLength_AndABurstNotYetRead_ArriveWhole_AndInOrder()
    {
        // 126 bytes and more take a 16-bit length in the frame header, 65,536 and more a 64-bit one;
        // a burst sent while the receiver reads nothing leaves the server in batches of frames.
        await using var server = await StartAsync(o => TestServer.WithoutFloodControl(o) with { MaxFrameBytes = 200_000 });
        using var web = await WebSocketTestClient.LoginAsync(server, "webby");
        using var tcp = await server.LoginRawAsync("tcpy");
        List<string> texts = ["short", new string('m', 300), new string('l', 100_000), .. Enumerable.Range(0, 300).Select(i => $"burst {i}")];

        for (var i = 0; i < texts.Count; i++)
        {
            await tcp.SendLineAsync($$"""{"type":"broadcast","id":{{i}},"text":"{{texts[i]}}"}""");
        }

        var received = new List<string>();
        for (var i = 0; i < texts.Count; i++)
        {
            received.Add((await web.ReadFrameAsync("message")).GetProperty("text").GetString()!);
        }

        Assert.Equal(texts, received);
    }

    [Fact]
    public async Task WithoutASubprotocol_TheServerSpeaksPeerChatV1_AndNamesNone()
    {
        await using var server = await StartAsync();
        using var web = await WebSocketTestClient.ConnectAsync(server.Server.WebPort);

        var hello = await web.ReadFrameAsync("hello");

        Assert.Equal("peerchat/1", hello.GetProperty("protocol").GetString());
        Assert.Null(web.Socket.SubProtocol);
    }

    [Fact]
    public async Task AnIrcClientOverWebSocket_RegistersAndTalksWithATcpClient()
    {
        await using var server = await StartAsync();
        await server.EnsureUserAsync("ircweb");
        using var tcp = await server.LoginRawAsync("tcpy");
        using var irc = await WebSocketTestClient.ConnectAsync(server.Server.WebPort, null, "text.ircv3.net");

        foreach (var line in new[] { $"PASS :{TestServer.Password}", "NICK ircweb", "USER ircweb 0 * :Web IRC" })
        {
            await irc.SendTextAsync(line);
        }

        var registration = await ReadIrcUntilAsync(irc, " 366 ");
        await irc.SendTextAsync("PRIVMSG tcpy :hello from web IRC");
        var atTcp = await tcp.ReadFrameAsync("message");
        await tcp.SendLineAsync("""{"type":"send","id":2,"to":"ircweb","text":"back to IRC"}""");
        var atIrc = await ReadIrcUntilAsync(irc, "PRIVMSG ircweb");

        Assert.Equal("text.ircv3.net", irc.Socket.SubProtocol);
        Assert.Contains(registration, l => l.Contains(" 001 ircweb ", StringComparison.Ordinal));
        Assert.All(registration, l => Assert.False(l.Contains('\n', StringComparison.Ordinal) || l.Contains('\r', StringComparison.Ordinal), $"a message with a line end: {l}"));
        Assert.Equal(("ircweb", "hello from web IRC"), (atTcp.GetProperty("from").GetString(), atTcp.GetProperty("text").GetString()));
        Assert.EndsWith("PRIVMSG ircweb :back to IRC", atIrc.Last(), StringComparison.Ordinal);
        Assert.StartsWith(":tcpy!", atIrc.Last(), StringComparison.Ordinal);
        Assert.Equal(ClientInfo.ViaIrcWebSocket, server.Server.GetClients().Single(c => c.UserName == "ircweb").Via);
    }

    [Fact]
    public async Task AWebSocketClientThatReadsNothing_IsCutAsASlowConsumer_AndTheSenderGoesOn()
    {
        // Direct messages are never dropped for falling behind: they fill the kernel's buffers, then
        // the send queue to its hard bound. The write left blocked on the stuck socket must be cut
        // too (through the WebSocket, not the socket under it), or the connection never ends.
        await using var server = await StartAsync(o => TestServer.WithoutFloodControl(o) with { WriteTimeout = TimeSpan.FromSeconds(1) });
        using var stuck = await WebSocketTestClient.LoginAsync(server, "stuck");
        var sender = await server.LoginAsync("sender");
        var text = new string('x', 60_000);

        for (var i = 0; i < 1_000 && !server.Events.OfType<SlowConsumerDroppedEvent>().Any(); i++)
        {
            await sender.SendAsync("stuck", text, route: RoutePreference.Relay);
        }

        var slow = await server.WaitForEventAsync<SlowConsumerDroppedEvent>();
        var gone = await server.WaitForEventAsync<ClientDisconnectedEvent>(e => e.UserName == "stuck");
        await sender.PingAsync();

        Assert.Equal("stuck", slow.UserName);
        Assert.Equal(NoticeCodes.SlowConsumer, gone.Reason);
        Assert.DoesNotContain(server.Server.GetClients(), c => c.UserName == "stuck");
    }

    [Fact]
    public async Task WebConnections_CountAgainstMaxClients_AndAFullServerAnswers503()
    {
        await using var server = await StartAsync(o => o with { MaxClients = 2 });
        await server.EnsureUserAsync("tcpy");
        await server.EnsureUserAsync("webby");
        await server.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the signup connections have ended");
        using var tcp = await server.LoginRawAsync("tcpy");
        using var web = await WebSocketTestClient.LoginAsync(server, "webby");

        var refused = await RawHttp.SendAsync(server.Server.WebPort, $"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        using var third = server.ConnectRaw();
        var tcpRefused = await third.ReadFrameAsync();

        Assert.Equal(503, refused.Status);
        Assert.Equal("server_full", tcpRefused.GetProperty("code").GetString());
        Assert.Equal(2, server.Server.ConnectionCount);
    }

    [Fact]
    public async Task WithACertificate_TheWebPortIsWss()
    {
        using var certificate = PeerChat.Core.Security.Certificates.CreateSelfSigned("peerchat-test");
        await using var server = await StartAsync(o => o with { Certificate = certificate });
        using var client = new System.Net.WebSockets.ClientWebSocket();
        client.Options.RemoteCertificateValidationCallback = (_, shown, _, _) => shown is not null && shown.GetCertHashString() == certificate.GetCertHashString();

        await client.ConnectAsync(new Uri($"wss://127.0.0.1:{server.Server.WebPort}/ws"), new CancellationTokenSource(TestServer.Patience).Token);
        var buffer = new byte[4096];
        var hello = await client.ReceiveAsync(buffer, new CancellationTokenSource(TestServer.Patience).Token);
        var plain = await RawHttp.SendAsync(server.Server.WebPort, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Contains("\"hello\"", System.Text.Encoding.UTF8.GetString(buffer, 0, hello.Count), StringComparison.Ordinal);
        Assert.Equal(400, plain.Status);
        Assert.Contains("HTTPS", plain.Body, StringComparison.Ordinal);
    }

    /// <summary>Reads IRC messages up to the first that contains <paramref name="marker"/>; returns them all.</summary>
    private static async Task<List<string>> ReadIrcUntilAsync(WebSocketTestClient irc, string marker)
    {
        var lines = new List<string>();
        for (var i = 0; i < 200; i++)
        {
            var line = await irc.ReceiveTextAsync();
            Assert.True(line is not null, $"closed ({irc.Socket.CloseStatus} {irc.Socket.CloseStatusDescription}) after: {string.Join(" | ", lines)}");
            lines.Add(line);
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return lines;
            }
        }

        Assert.Fail($"no '{marker}' in: {string.Join(" | ", lines)}");
        return lines;
    }
}
