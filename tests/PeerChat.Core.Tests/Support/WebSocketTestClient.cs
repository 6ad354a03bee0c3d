using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace PeerChat.Core.Tests.Support;

/// <summary>.NET's own WebSocket client against the server's web port: text messages in and out, and how the server closed.</summary>
public sealed class WebSocketTestClient : IDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly byte[] _buffer = new byte[256 * 1024];

    private WebSocketTestClient(ClientWebSocket socket)
    {
        _socket = socket;
    }

    public WebSocket Socket => _socket;

    /// <summary>Connects to <c>/ws</c>, offering <paramref name="subProtocols"/> (none: the server's default) and sending <paramref name="origin"/> when given.</summary>
    public static async Task<WebSocketTestClient> ConnectAsync(int port, string? origin = null, params string[] subProtocols)
    {
        var socket = new ClientWebSocket();
        foreach (var protocol in subProtocols)
        {
            socket.Options.AddSubProtocol(protocol);
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var deadline = new CancellationTokenSource(TestServer.Patience);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"), deadline.Token);
        return new WebSocketTestClient(socket);
    }

    /// <summary>Connects with peerchat.v1 and logs <paramref name="userName"/> in (signing up first when new).</summary>
    public static async Task<WebSocketTestClient> LoginAsync(TestServer server, string userName)
    {
        await server.EnsureUserAsync(userName);
        var client = await ConnectAsync(server.Server.WebPort, null, "peerchat.v1");
        await client.ReadFrameAsync("hello");
        await client.SendTextAsync($$"""{"type":"login","id":"login","user":"{{userName}}","password":"{{TestServer.Password}}"}""");
        await client.ReadFrameAsync("welcome");
        return client;
    }

    public async Task SendTextAsync(string text)
    {
        using var deadline = new CancellationTokenSource(TestServer.Patience);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, deadline.Token);
    }

    /// <summary>The next text message; null when the server closed instead (see <see cref="WebSocket.CloseStatus"/>).</summary>
    public async Task<string?> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        var length = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(length), deadline.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            Assert.Equal(WebSocketMessageType.Text, result.MessageType);
            length += result.Count;
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(_buffer, 0, length);
            }
        }
    }

    /// <summary>Reads messages until a peerchat/1 frame of <paramref name="type"/> comes; an error frame meanwhile fails the test.</summary>
    public async Task<JsonElement> ReadFrameAsync(string type, TimeSpan? timeout = null)
    {
        while (true)
        {
            var text = await ReceiveTextAsync(timeout);
            Assert.True(text is not null, $"The server closed ({_socket.CloseStatus} {_socket.CloseStatusDescription}) while waiting for '{type}'.");
            Assert.DoesNotContain('\n', text);
            var frame = JsonDocument.Parse(text).RootElement.Clone();
            var actual = frame.GetProperty("type").GetString();
            if (actual == type)
            {
                return frame;
            }

            Assert.False(actual == "error", $"Waiting for '{type}', the server answered {frame}");
        }
    }

    /// <summary>Reads until the server's close; returns the text messages that came first.</summary>
    public async Task<List<string>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var messages = new List<string>();
        while (await ReceiveTextAsync(timeout) is { } text)
        {
            messages.Add(text);
        }

        return messages;
    }

    public void Dispose() => _socket.Dispose();
}
