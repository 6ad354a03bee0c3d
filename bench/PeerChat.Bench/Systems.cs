using System.Net;

namespace PeerChat.Bench;

/// <summary>One system under test, seen through the few operations the workloads need.</summary>
internal abstract class ChatSystem
{
    public abstract string Name { get; }

    public required IPEndPoint Server { get; init; }

    /// <summary>A connection that receives everything published to all (subscribed or logged in).</summary>
    public abstract Task<LineConnection> ConnectReceiverAsync(string name, IPAddress? local = null);

    /// <summary>A connection that publishes; whatever comes back to it is read and dropped.</summary>
    public abstract Task<LineConnection> ConnectSenderAsync(string name);

    public abstract byte[] PublishFrame(string payload);

    /// <summary>A point-to-point frame to <paramref name="to"/>.</summary>
    public abstract byte[] DirectFrame(string to, string payload);

    /// <summary>
    /// The payload of the next message delivered to <paramref name="connection"/>, or null once it has
    /// ended; everything else (replies, headers, presence) is skipped, and pings are answered.
    /// </summary>
    public abstract Task<string?> ReceiveAsync(LineConnection connection, CancellationToken cancellationToken);
}

/// <summary>PeerChat over peerchat/1: log in, broadcast, send; payloads in the frame's text.</summary>
internal class PeerChatSystem : ChatSystem
{
    public const string Password = "bench password 1";

    public override string Name => Label;

    /// <summary>The name in the tables, when one table has more than one PeerChat configuration.</summary>
    public string Label { get; init; } = "PeerChat";

    /// <summary>False: log in with <c>"receipts": false</c>, so a successful send gets no <c>sent</c> answer.</summary>
    public bool Receipts { get; init; } = true;

    public override Task<LineConnection> ConnectReceiverAsync(string name, IPAddress? local = null) => LoginAsync(name, local);

    public override Task<LineConnection> ConnectSenderAsync(string name) => LoginAsync(name, null);

    public override byte[] PublishFrame(string payload) =>
        System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"broadcast\",\"text\":\"{payload}\"}}\n");

    public override byte[] DirectFrame(string to, string payload) =>
        System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"send\",\"to\":\"{to}\",\"text\":\"{payload}\"}}\n");

    public override async Task<string?> ReceiveAsync(LineConnection connection, CancellationToken cancellationToken)
    {
        const string marker = "\"text\":\"";
        while (await connection.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("{\"type\":\"message\"", StringComparison.Ordinal))
            {
                var start = line.IndexOf(marker, StringComparison.Ordinal) + marker.Length;
                return line[start..line.IndexOf('"', start)];
            }
        }

        return null;
    }

    /// <summary>
    /// Logs in, signing up first unless <paramref name="signUp"/> is false (an existing account is
    /// fine); the logged-in connection, or null and the server's answer to the login when it refused
    /// (the connection is then closed).
    /// </summary>
    public async Task<(LineConnection? Connection, string Answer)> TryLoginAsync(string name, IPAddress? local = null, bool signUp = true)
    {
        var connection = await OpenAsync(local);
        try
        {
            await connection.ReadUntilAsync("\"hello\"");
            var receipts = Receipts ? string.Empty : ",\"receipts\":false";
            var signUpFrame = signUp ? $"{{\"type\":\"signup\",\"id\":1,\"user\":\"{name}\",\"password\":\"{Password}\"}}\n" : string.Empty;
            await connection.WriteAsync($"{signUpFrame}{{\"type\":\"login\",\"id\":2,\"user\":\"{name}\",\"password\":\"{Password}\"{receipts}}}\n");
            var answer = await connection.ReadUntilAsync("\"re\":2");
            if (answer.Contains("\"welcome\"", StringComparison.Ordinal))
            {
                return (connection, answer);
            }

            await connection.DisposeAsync();
            return (null, answer);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Signs up alone (no login, so nothing counts as a failed login); the server's answer.</summary>
    public async Task<string> SignUpAsync(string name)
    {
        await using var connection = await OpenAsync(null);
        await connection.ReadUntilAsync("\"hello\"");
        await connection.WriteAsync($"{{\"type\":\"signup\",\"id\":1,\"user\":\"{name}\",\"password\":\"{Password}\"}}\n");
        return await connection.ReadUntilAsync("\"re\":1");
    }

    private async Task<LineConnection> LoginAsync(string name, IPAddress? local)
    {
        var (connection, answer) = await TryLoginAsync(name, local);
        return connection ?? throw new InvalidOperationException($"Login of {name} failed: {answer}");
    }

    /// <summary>The connection peerchat/1 frames go over, before its <c>hello</c>.</summary>
    protected virtual Task<LineConnection> OpenAsync(IPAddress? local) => LineConnection.ConnectAsync(Server, local);
}

/// <summary>
/// PeerChat over WebSocket (<c>/ws</c> on the web port, subprotocol peerchat.v1): the same frames, one per
/// text message, through a lean client of this benchmark's own (<see cref="WebSocketLineStream"/>).
/// <see cref="ChatSystem.Server"/> is the web endpoint.
/// </summary>
internal sealed class PeerChatWebSocketSystem : PeerChatSystem
{
    public override string Name => "PeerChat WebSocket";

    protected override async Task<LineConnection> OpenAsync(IPAddress? local)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return LineConnection.Over(await WebSocketLineStream.ConnectAsync(Server, local, "peerchat.v1", timeout.Token));
    }
}

/// <summary>nats-server over the NATS text protocol: one subject for fan-out, one per client for direct.</summary>
internal sealed class NatsSystem : ChatSystem
{
    public override string Name => "NATS";

    /// <summary>True: CONNECT with <c>verbose</c>, so the server answers every PUB with <c>+OK</c> (as PeerChat answers with <c>sent</c>).</summary>
    public bool Verbose { get; init; }

    public override async Task<LineConnection> ConnectReceiverAsync(string name, IPAddress? local = null)
    {
        var connection = await ConnectAsync(local);
        await connection.WriteAsync($"SUB all 1\r\nSUB to.{name} 2\r\nPING\r\n");
        await connection.ReadUntilAsync("PONG");
        return connection;
    }

    public override Task<LineConnection> ConnectSenderAsync(string name) => ConnectReceiverAsync(name);

    public override byte[] PublishFrame(string payload) =>
        System.Text.Encoding.ASCII.GetBytes($"PUB all {payload.Length}\r\n{payload}\r\n");

    public override byte[] DirectFrame(string to, string payload) =>
        System.Text.Encoding.ASCII.GetBytes($"PUB to.{to} {payload.Length}\r\n{payload}\r\n");

    public override async Task<string?> ReceiveAsync(LineConnection connection, CancellationToken cancellationToken)
    {
        while (await connection.ReadLineAsync(cancellationToken) is { } line)
        {
            // A MSG line announces the payload, which is the next line.
            if (line.StartsWith("MSG ", StringComparison.Ordinal))
            {
                return await connection.ReadLineAsync(cancellationToken);
            }

            if (line == "PING")
            {
                _ = connection.WriteAsync("PONG\r\n");
            }
        }

        return null;
    }

    private async Task<LineConnection> ConnectAsync(IPAddress? local)
    {
        var connection = await LineConnection.ConnectAsync(Server, local);
        await connection.ReadUntilAsync("INFO");
        await connection.WriteAsync($"CONNECT {{\"verbose\":{(Verbose ? "true" : "false")},\"pedantic\":false,\"echo\":false}}\r\n");
        return connection;
    }
}
