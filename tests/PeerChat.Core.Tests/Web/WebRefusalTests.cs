using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests.Web;

/// <summary>
/// Hostile or broken input on the web port gets a clear HTTP error or WebSocket close, and a
/// peerchat/1 user logged in meanwhile goes on as if nothing happened.
/// </summary>
public sealed class WebRefusalTests
{
    private static async Task<(TestServer Server, RawClient Bystander)> StartAsync(Func<ChatServerOptions, ChatServerOptions>? configure = null)
    {
        var server = await TestServer.StartAsync(o => (configure?.Invoke(o) ?? o) with { WebPort = 0 });
        return (server, await server.LoginRawAsync("bystander"));
    }

    /// <summary>The bystander's connection still answers, and the server reported no internal error (checked when it is disposed).</summary>
    private static async Task AssertUnaffectedAsync(RawClient bystander)
    {
        var answer = await bystander.RequestAsync(new { type = "broadcast", id = "still-here", text = "still here" });
        Assert.NotEqual("error", answer.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("c2hvcnQ=", "Sec-WebSocket-Key")]
    [InlineData("not base64 at all!!!!!!!", "Sec-WebSocket-Key")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "Sec-WebSocket-Key")]
    public async Task ABadKey_Gets400(string key, string named)
    {
        var (server, bystander) = await StartAsync();
        await using var _ = server;
        using var __ = bystander;

        var response = await RawHttp.SendAsync(server.Server.WebPort, RawHttp.Upgrade(server.Server.WebPort, key: key));

        Assert.Equal(400, response.Status);
        Assert.Contains(named, response.Body, StringComparison.Ordinal);
        WebPageTests.AssertSecurityHeaders(response);
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task AWrongVersion_Gets426_NamingVersion13()
    {
        var (server, bystander) = await StartAsync();
        await using var _ = server;
        using var __ = bystander;

        var response = await RawHttp.SendAsync(server.Server.WebPort, RawHttp.Upgrade(server.Server.WebPort, version: "8"));

        Assert.Equal(426, response.Status);
        Assert.Equal("13", response.Headers["Sec-WebSocket-Version"]);
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task NoUpgradeHeader_OnWs_Gets426()
    {
        var (server, bystander) = await StartAsync();
        await using var _ = server;
        using var __ = bystander;

        var response = await RawHttp.SendAsync(server.Server.WebPort, $"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

        Assert.Equal(426, response.Status);
        Assert.Equal("websocket", response.Headers["Upgrade"]);
    }

    [Fact]
    public async Task OversizedHeaders_AndTooManyHeaders_Get431()
    {
        var (server, bystander) = await StartAsync();
        await using var _ = server;
        using var __ = bystander;
        var port = server.Server.WebPort;

        var oversized = await RawHttp.SendAsync(port, RawHttp.Upgrade(port, $"X-Filler: {new string('a', 9000)}\r\n"));
        var tooMany = await RawHttp.SendAsync(port, RawHttp.Upgrade(port, string.Concat(Enumerable.Range(0, 65).Select(i => $"X-H{i}: {i}\r\n"))));
        var justEnough = await RawHttp.SendAsync(port, $"GET / HTTP/1.1\r\nHost: x\r\n{string.Concat(Enumerable.Range(0, 63).Select(i => $"X-H{i}: {i}\r\n"))}\r\n");

        Assert.Equal(431, oversized.Status);
        Assert.Equal(431, tooMany.Status);
        Assert.Equal(200, justEnough.Status);
        WebPageTests.AssertSecurityHeaders(tooMany);
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task ASlowloris_Gets408_AfterWebHeaderTimeout_AndIsClosed()
    {
        var (server, bystander) = await StartAsync(o => o with { WebHeaderTimeout = TimeSpan.FromMilliseconds(500) });
        await using var _ = server;
        using var __ = bystander;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        // Started before the connection: the server's 500 ms run from its accept, which can come
        // before this side's connect returns.
        var clock = Stopwatch.StartNew();
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Server.WebPort));

        // Trickled a header at a time, never finished: each piece alone would reset a per-read timeout.
        await socket.SendAsync("GET / HTTP/1.1\r\n"u8.ToArray());
        await socket.SendAsync("Host: 127.0.0.1\r\n"u8.ToArray());
        await socket.SendAsync("X-Slow: 1\r\n"u8.ToArray());
        var response = await RawHttp.ReadResponseAsync(socket);

        Assert.Equal(408, response.Status);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TestServer.Patience);
        WebPageTests.AssertSecurityHeaders(response);
        await server.WaitUntilAsync(() => server.Server.ConnectionCount == 1, "the slow exchange to be given back");
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task AWrongOrigin_Gets403_TheOwnPageAndListedOriginsGetIn()
    {
        var (server, bystander) = await StartAsync(o => o with { WebAllowedOrigin = ["https://chat.example.com"] });
        await using var _ = server;
        using var __ = bystander;
        var port = server.Server.WebPort;

        var foreign = await RawHttp.SendAsync(port, RawHttp.Upgrade(port, "Origin: https://evil.example.net\r\n"));
        var otherPort = await RawHttp.SendAsync(port, RawHttp.Upgrade(port, $"Origin: http://127.0.0.1:{port + 1}\r\n"));
        using var own = await WebSocketTestClient.ConnectAsync(port, $"http://127.0.0.1:{port}");
        using var listed = await WebSocketTestClient.ConnectAsync(port, "https://chat.example.com");

        Assert.Equal(403, foreign.Status);
        Assert.Equal(403, otherPort.Status);
        await own.ReadFrameAsync("hello");
        await listed.ReadFrameAsync("hello");
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task AStarOrigin_LetsAnyPageIn()
    {
        await using var server = await TestServer.StartAsync(o => o with { WebPort = 0, WebAllowedOrigin = ["*"] });
        using var anywhere = await WebSocketTestClient.ConnectAsync(server.Server.WebPort, "https://anywhere.example.org");

        await anywhere.ReadFrameAsync("hello");
    }

    [Fact]
    public async Task OnlyUnknownSubprotocols_Get400_NamingTheSupportedOnes()
    {
        var (server, bystander) = await StartAsync();
        await using var _ = server;
        using var __ = bystander;

        var response = await RawHttp.SendAsync(server.Server.WebPort, RawHttp.Upgrade(server.Server.WebPort, "Sec-WebSocket-Protocol: mqtt, chat.v2\r\n"));

        Assert.Equal(400, response.Status);
        Assert.Contains("peerchat.v1", response.Body, StringComparison.Ordinal);
        Assert.Contains("text.ircv3.net", response.Body, StringComparison.Ordinal);
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task AMessageOverThePreAuthLimit_IsClosedWith1009()
    {
        var (server, bystander) = await StartAsync();
        await using var _ = server;
        using var __ = bystander;
        using var web = await WebSocketTestClient.ConnectAsync(server.Server.WebPort);
        await web.ReadFrameAsync("hello");

        await web.SendTextAsync($$"""{"type":"broadcast","text":"{{new string('x', server.Server.Options.MaxPreAuthFrameBytes)}}"}""");
        var last = await web.ReadUntilClosedAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, web.Socket.CloseStatus);
        Assert.Contains(server.Server.Options.MaxPreAuthFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), web.Socket.CloseStatusDescription, StringComparison.Ordinal);
        Assert.Contains(last, m => m.Contains("frame_too_large", StringComparison.Ordinal));
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task AMessageOverMaxFrameBytes_AfterLogin_IsClosedWith1009()
    {
        var (server, bystander) = await StartAsync(o => o with { MaxFrameBytes = 8192 });
        await using var _ = server;
        using var __ = bystander;
        using var web = await WebSocketTestClient.LoginAsync(server, "webby");

        await web.SendTextAsync($$"""{"type":"broadcast","id":1,"text":"{{new string('x', 6000)}}"}""");
        await web.ReadFrameAsync("sent");
        await web.SendTextAsync($$"""{"type":"broadcast","text":"{{new string('x', 8200)}}"}""");
        await web.ReadUntilClosedAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, web.Socket.CloseStatus);
        await AssertUnaffectedAsync(bystander);
    }

    [Fact]
    public async Task ABinaryMessage_IsClosedWith1003()
    {
        var (server, bystander) = await StartAsync();
        await using var _ = server;
        using var __ = bystander;
        using var web = await WebSocketTestClient.LoginAsync(server, "webby");

        await web.Socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"list","id":1}"""), WebSocketMessageType.Binary, true, CancellationToken.None);
        await web.ReadUntilClosedAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, web.Socket.CloseStatus);
        await AssertUnaffectedAsync(bystander);
    }
}
