using PeerChat.Core.Protocol;
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
    public async Task WithoutASubprotocol_TheServerSpeaksPeerChatV1_AndNamesNone()
    {
        await using var server = await StartAsync();
        using var web = await WebSocketTestClient.ConnectAsync(server.Server.WebPort);

        var hello = await web.ReadFrameAsync("hello");

        Assert.Equal("peerchat/1", hello.GetProperty("protocol").GetString());
        Assert.Null(web.Socket.SubProtocol);
    }
}
