using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PeerChat.Bench;

/// <summary>
/// A PeerChat server (the "serve" mode of this program, with its IRC gateway) and a nats-server, each in a process of its
/// own on 127.0.0.1, so that their memory and CPU are their own.
/// </summary>
internal static class Servers
{
    public static Task<(ChildProcess Process, ChatSystem System)> StartPeerChatAsync() => StartPeerChatWithAsync(typeof(FanOut).Assembly.Location);

    /// <summary>A server run by <paramref name="assembly"/>: this program, or a copy of it (see <see cref="ColdFanOut"/>).</summary>
    public static Task<(ChildProcess Process, ChatSystem System)> StartPeerChatAsync(string assembly) => StartPeerChatWithAsync(assembly);

    /// <summary>A server run by <paramref name="assembly"/> with the "serve" mode's <paramref name="options"/> (e.g. --default-queues).</summary>
    public static async Task<(ChildProcess Process, ChatSystem System)> StartPeerChatWithAsync(string assembly, params string[] options)
    {
        var process = ChildProcess.Start("dotnet", [assembly, "serve", "20000", .. options]);
        var port = int.Parse((await process.ReadReportAsync("PORT")).Trim(), CultureInfo.InvariantCulture);
        return (process, new PeerChatSystem { Server = new IPEndPoint(IPAddress.Loopback, port) });
    }

    /// <summary>The same PeerChat server, seen through its IRC gateway: the workloads' accounts log in with PASS.</summary>
    public static async Task<(ChildProcess Process, ChatSystem System)> StartPeerChatIrcAsync()
    {
        var process = ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "serve", "20000"]);
        await process.ReadReportAsync("PORT");
        var port = int.Parse((await process.ReadReportAsync("IRCPORT")).Trim(), CultureInfo.InvariantCulture);
        return (process, PeerChatIrc(new IPEndPoint(IPAddress.Loopback, port)));
    }

    /// <summary>How the workloads talk to PeerChat's IRC gateway at <paramref name="ircPort"/>: PASS logins, #everyone.</summary>
    public static IrcSystem PeerChatIrc(IPEndPoint ircPort) => new()
    {
        Label = "PeerChat IRC gateway",
        Server = ircPort,
        Password = PeerChatSystem.Password,
        Channel = "#everyone",
        InChannelAtRegistration = true,
    };

    /// <summary>A PeerChat server with the "serve" mode's <paramref name="options"/>, seen through its IRC gateway and over plain peerchat/1.</summary>
    public static async Task<(ChildProcess Process, IrcSystem Irc, PeerChatSystem Plain)> StartPeerChatIrcWithAsync(params string[] options)
    {
        var process = ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "serve", "20000", .. options]);
        var port = int.Parse((await process.ReadReportAsync("PORT")).Trim(), CultureInfo.InvariantCulture);
        var ircPort = int.Parse((await process.ReadReportAsync("IRCPORT")).Trim(), CultureInfo.InvariantCulture);
        var irc = new IrcSystem
        {
            Label = "PeerChat IRC gateway",
            Server = new IPEndPoint(IPAddress.Loopback, ircPort),
            Password = PeerChatSystem.Password,
            Channel = "#everyone",
            InChannelAtRegistration = true,
        };
        return (process, irc, new PeerChatSystem { Server = new IPEndPoint(IPAddress.Loopback, port) });
    }

    /// <summary>The same PeerChat server over plain peerchat/1 and over WebSocket (/ws on its web port).</summary>
    public static async Task<(ChildProcess Process, PeerChatSystem Plain, PeerChatWebSocketSystem Web)> StartPeerChatWebAsync()
    {
        var process = ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "serve", "20000"]);
        var port = int.Parse((await process.ReadReportAsync("PORT")).Trim(), CultureInfo.InvariantCulture);
        var webPort = int.Parse((await process.ReadReportAsync("WEBPORT")).Trim(), CultureInfo.InvariantCulture);
        return (process, new PeerChatSystem { Server = new IPEndPoint(IPAddress.Loopback, port) }, new PeerChatWebSocketSystem { Server = new IPEndPoint(IPAddress.Loopback, webPort) });
    }

    public static async Task<(ChildProcess Process, ChatSystem System)> StartNatsAsync()
    {
        var port = FreePort();
        var process = ChildProcess.Start("nats-server", ["-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)], readyOnStderr: "Server is ready");
        await process.WaitReadyAsync();
        return (process, new NatsSystem { Server = new IPEndPoint(IPAddress.Loopback, port) });
    }

    /// <summary>Closed connections take a moment to leave a server; the next workload should not see them.</summary>
    public static Task WaitForDisconnectsAsync() => Task.Delay(TimeSpan.FromSeconds(2));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
