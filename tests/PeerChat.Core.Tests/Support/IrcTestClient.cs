using System.Net;
using System.Net.Sockets;
using System.Text;
using PeerChat.Core.Irc;

namespace PeerChat.Core.Tests.Support;

/// <summary>A scripted IRC client over a raw socket: sends lines, reads and parses what the gateway writes.</summary>
public sealed class IrcTestClient : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly List<byte> _pending = [];

    private IrcTestClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>Every line read so far, as sent.</summary>
    public List<string> Transcript { get; } = [];

    public static IrcTestClient Connect(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        return new IrcTestClient(socket);
    }

    /// <summary>Connects and registers with <c>PASS</c>, <c>NICK</c>, <c>USER</c>; reads up to the end of #everyone's names.</summary>
    public static async Task<IrcTestClient> LoginAsync(TestServer server, string nick, string? pass = null)
    {
        await server.EnsureUserAsync(nick);
        var client = Connect(server.Server.IrcPort);
        await client.SendAsync($"PASS :{pass ?? TestServer.Password}", $"NICK {nick}", $"USER {nick} 0 * :{nick}");
        await client.ReadUntilAsync("366");
        return client;
    }

    public Task SendAsync(params string[] lines) => SendBytesAsync(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\r\n"))));

    public async Task SendBytesAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>The next line, parsed; null when the gateway closed the connection.</summary>
    public async Task<IrcMessage?> ReadAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        while (true)
        {
            var newline = _pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _pending.GetRange(0, newline + 1).ToArray();
                _pending.RemoveRange(0, newline + 1);
                Transcript.Add(Encoding.UTF8.GetString(line).TrimEnd('\r', '\n'));
                var parsed = IrcLine.Parse(line);
                Assert.True(parsed.Success, $"The gateway wrote a line that does not parse ({parsed.Error}): {Transcript[^1]}");
                return parsed.Message!;
            }

            int read;
            try
            {
                read = await _stream.ReadAsync(_buffer, deadline.Token);
            }
            catch (IOException)
            {
                return null;
            }

            if (read == 0)
            {
                return null;
            }

            _pending.AddRange(_buffer.AsSpan(0, read));
        }
    }

    /// <summary>Reads until a line with <paramref name="command"/> (and matching <paramref name="match"/>); fails on the close.</summary>
    public async Task<IrcMessage> ReadUntilAsync(string command, Func<IrcMessage, bool>? match = null, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        while (true)
        {
            deadline.Token.ThrowIfCancellationRequested();
            var message = await ReadAsync(timeout) ?? throw new InvalidOperationException($"Closed before {command}. Read: {string.Join(" | ", Transcript)}");
            if (message.Command == command && (match?.Invoke(message) ?? true))
            {
                return message;
            }
        }
    }

    /// <summary>Every line up to the close (bounded by the timeout).</summary>
    public async Task<List<IrcMessage>> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        var lines = new List<IrcMessage>();
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        while (await ReadAsync(timeout) is { } message)
        {
            deadline.Token.ThrowIfCancellationRequested();
            lines.Add(message);
        }

        return lines;
    }

    public void Dispose() => _stream.Dispose();
}
