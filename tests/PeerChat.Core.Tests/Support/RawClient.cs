using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PeerChat.Core.Tests.Support;

/// <summary>A scripted peer that speaks raw protocol lines, to test the server byte by byte.</summary>
public sealed class RawClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _pending = new();

    private RawClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public Socket Socket => _socket;

    /// <summary>The <c>welcome</c> of a login made by <see cref="TestServer.LoginRawAsync"/>.</summary>
    public JsonElement Welcome { get; set; }

    /// <summary>Sends one request (an object serialised as JSON) and reads frames until the one that answers it (<c>re</c> equal to its <c>id</c>).</summary>
    public async Task<JsonElement> RequestAsync(object request, TimeSpan? timeout = null)
    {
        var json = JsonSerializer.Serialize(request);
        var id = JsonDocument.Parse(json).RootElement.GetProperty("id").Clone();
        await SendLineAsync(json);
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        while (true)
        {
            deadline.Token.ThrowIfCancellationRequested();
            var frame = await ReadFrameAsync(timeout);
            if (frame.TryGetProperty("re", out var re) && JsonElement.DeepEquals(re, id))
            {
                return frame;
            }
        }
    }

    /// <summary>A raw direct link from <paramref name="sender"/>'s user to <paramref name="receiver"/>, welcomed: what an attacker with a valid token holds.</summary>
    public static async Task<RawClient> OpenDirectLinkAsync(Client.ChatClient sender, Client.ChatClient receiver)
    {
        var grant = await sender.ConnectPeerAsync(receiver.Session!.UserName);
        await receiver.PingAsync();
        var link = Connect(receiver.DirectPort!.Value);
        await link.SendLineAsync(JsonSerializer.Serialize(new { type = "peer_hello", from = sender.Session!.UserName, token = grant.Token }));
        await link.ReadFrameAsync("peer_welcome");
        return link;
    }

    public static RawClient Connect(int port, Action<Socket>? configure = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        configure?.Invoke(socket);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return new RawClient(socket);
    }

    public Task SendLineAsync(string json) => SendAsync(Encoding.UTF8.GetBytes(json + "\n"));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Reads the next frame; fails the test when none comes within the timeout or the server closed.</summary>
    public async Task<JsonElement> ReadFrameAsync(TimeSpan? timeout = null)
    {
        var frame = await TryReadFrameAsync(timeout);
        Assert.True(frame is not null, "The server closed the connection instead of sending a frame.");
        return frame!.Value;
    }

    /// <summary>Reads frames until one of <paramref name="type"/> comes, skipping the others.</summary>
    public async Task<JsonElement> ReadFrameAsync(string type, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        while (true)
        {
            var frame = await ReadFrameAsync(timeout);
            var actual = frame.GetProperty("type").GetString();
            if (actual == type)
            {
                return frame;
            }

            // An error while waiting for something else fails at once, saying what it was.
            Assert.False(actual == "error", $"Waiting for '{type}', the server answered {frame}");
        }
    }

    /// <summary>The next frame, or null when the server closed the connection.</summary>
    public async Task<JsonElement?> TryReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TestServer.Patience);
        while (true)
        {
            var bytes = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
            var newline = bytes.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = bytes[..newline].ToArray();
                var rest = bytes[(newline + 1)..].ToArray();
                _pending.SetLength(0);
                _pending.Write(rest);
                return JsonDocument.Parse(line).RootElement.Clone();
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer, cancel.Token);
            }
            catch (IOException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _pending.Write(_buffer, 0, read);
        }
    }

    /// <summary>Reads (and drops) frames until the server closes; fails when it does not close in time.</summary>
    public async Task<List<JsonElement>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var frames = new List<JsonElement>();
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        while (true)
        {
            deadline.Token.ThrowIfCancellationRequested();
            var frame = await TryReadFrameAsync(timeout);
            if (frame is null)
            {
                return frames;
            }

            frames.Add(frame.Value);
        }
    }

    public void Dispose() => _stream.Dispose();
}
