using PeerChat.Core.Irc;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests.Irc;

/// <summary>Servers with the IRC gateway on, and IRC logins that negotiate capabilities first.</summary>
internal static class IrcSessions
{
    public static Task<TestServer> StartWithStoreAsync(Func<ChatServerOptions, ChatServerOptions>? configure = null) =>
        TestServer.StartWithStoreAsync(o => (configure?.Invoke(o) ?? TestServer.WithoutFloodControl(o)) with { IrcPort = 0 });

    /// <summary>CAP LS 302, CAP REQ of <paramref name="caps"/> (ACKed), PASS/NICK/USER, CAP END; read up to #everyone's names.</summary>
    public static async Task<IrcTestClient> LoginAsync(TestServer server, string nick, string caps)
    {
        await server.EnsureUserAsync(nick);
        var client = IrcTestClient.Connect(server.Server.IrcPort);
        await client.SendAsync("CAP LS 302", $"CAP REQ :{caps}", $"PASS :{TestServer.Password}", $"NICK {nick}", $"USER {nick} 0 * :{nick}");
        var ack = await client.ReadUntilAsync("CAP", m => m.Parameter(1) is "ACK" or "NAK");
        Assert.True(ack.Parameter(1) == "ACK", $"caps refused: {string.Join(" | ", client.Transcript)}");
        await client.SendAsync("CAP END");
        await client.ReadUntilAsync("366");
        return client;
    }

    /// <summary>Lines up to the PONG of a PING sent now: everything the gateway wrote before it.</summary>
    public static async Task<List<IrcMessage>> ReadToFenceAsync(this IrcTestClient client, string token = "fence")
    {
        await client.SendAsync($"PING :{token}");
        return await client.ReadUntilPongAsync(token);
    }

    /// <summary>Lines up to the PONG that answers a PING with <paramref name="token"/> (sent by the caller).</summary>
    public static async Task<List<IrcMessage>> ReadUntilPongAsync(this IrcTestClient client, string token)
    {
        var lines = new List<IrcMessage>();
        for (var i = 0; i < 100_000; i++)
        {
            var line = await client.ReadAsync() ?? throw new InvalidOperationException($"Closed before the fence. Read: {string.Join(" | ", client.Transcript)}");
            if (line.Command == "PONG" && line.Parameters.Contains(token))
            {
                return lines;
            }

            lines.Add(line);
        }

        throw new InvalidOperationException("No fence in 100,000 lines.");
    }

    public static List<IrcMessage> Privmsgs(this IEnumerable<IrcMessage> lines) => [.. lines.Where(l => l.Command == "PRIVMSG")];
}
