using System.Net;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// An IRC server (ngIRCd, InspIRCd, PeerChat's IRC gateway) over plain RFC 1459/2812 lines, no
/// capabilities: register with NICK/USER (PASS first where the server wants an account), JOIN one
/// channel for fan-out, PRIVMSG to the channel or to a nick, answer PING with PONG.
/// </summary>
internal sealed class IrcSystem : ChatSystem
{
    public override string Name => Label;

    /// <summary>What the tables call it: "ngIRCd", "InspIRCd", "PeerChat IRC gateway".</summary>
    public required string Label { get; init; }

    /// <summary>The fan-out channel, which every receiver and the sender join (channels are +n: only members speak).</summary>
    public string Channel { get; init; } = "#bench";

    /// <summary>True where the server puts every client in <see cref="Channel"/> as it registers (PeerChat's #everyone): no JOIN is sent.</summary>
    public bool InChannelAtRegistration { get; init; }

    /// <summary>Sent as PASS (the account's password, the nick being the account) where the server has accounts.</summary>
    public string? Password { get; init; }

    public override Task<LineConnection> ConnectReceiverAsync(string name, IPAddress? local = null) => RegisterAsync(name, local);

    public override Task<LineConnection> ConnectSenderAsync(string name) => RegisterAsync(name, null);

    public override byte[] PublishFrame(string payload) => Encoding.ASCII.GetBytes($"PRIVMSG {Channel} :{payload}\r\n");

    public override byte[] DirectFrame(string to, string payload) => Encoding.ASCII.GetBytes($"PRIVMSG {to} :{payload}\r\n");

    public override async Task<string?> ReceiveAsync(LineConnection connection, CancellationToken cancellationToken)
    {
        while (await connection.ReadLineAsync(cancellationToken) is { } line)
        {
            // ":nick!user@host PRIVMSG <target> :<payload>"
            var command = line.IndexOf(" PRIVMSG ", StringComparison.Ordinal);
            if (command > 0)
            {
                var text = line.IndexOf(" :", command + 9, StringComparison.Ordinal);
                return line[(text + 2)..];
            }

            AnswerPing(connection, line);
        }

        return null;
    }

    private static void AnswerPing(LineConnection connection, string line)
    {
        if (line.StartsWith("PING", StringComparison.Ordinal))
        {
            _ = connection.WriteAsync($"PONG{line[4..]}\r\n");
        }
    }

    private async Task<LineConnection> RegisterAsync(string name, IPAddress? local)
    {
        var connection = await LineConnection.ConnectAsync(Server, local);
        var pass = Password is null ? string.Empty : $"PASS :{Password}\r\n";
        await connection.WriteAsync($"{pass}NICK {name}\r\nUSER {name} 0 * :{name}\r\n");
        await ReadUntilNumericAsync(connection, name, "001");

        // 366 ends the NAMES list that follows a JOIN (or the registration, where it joins us): we are in the channel.
        if (!InChannelAtRegistration)
        {
            await connection.WriteAsync($"JOIN {Channel}\r\n");
        }

        await ReadUntilNumericAsync(connection, name, "366");
        return connection;
    }

    private async Task ReadUntilNumericAsync(LineConnection connection, string name, string numeric)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await connection.ReadLineAsync(timeout.Token) ?? throw new IOException($"{Name} closed {name}'s connection while it waited for {numeric}.");
            var parts = line.Split(' ', 3);
            if (parts.Length > 1 && parts[1] == numeric)
            {
                return;
            }

            // Any 4xx/5xx numeric before it (433 nick in use, 464 bad password, 471 channel full...) or ERROR ends the attempt.
            if (line.StartsWith("ERROR", StringComparison.Ordinal) || (parts.Length > 1 && parts[1].Length == 3 && parts[1][0] is '4' or '5'))
            {
                throw new InvalidOperationException($"{Name} refused {name}: {line}");
            }

            AnswerPing(connection, line);
        }
    }
}
