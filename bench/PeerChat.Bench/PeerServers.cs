using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PeerChat.Bench;

/// <summary>
/// ngIRCd, InspIRCd and Mosquitto (Debian packages), each in a process of its own on 127.0.0.1 with
/// a config written to a temp dir. The configs are Debian's packaged ones except where they would
/// refuse the load; each such change says why. The PeerChat server gets the same kind of relaxing
/// (connection and flood limits, in Program.cs's serve mode).
/// </summary>
internal static class PeerServers
{
    public static Task<(ChildProcess Process, ChatSystem System)> StartNgircdAsync() =>
        StartAsync("ngircd", "ngircd.conf", port => $"""
            [Global]
                Name = irc.bench.local
                AdminInfo1 = PeerChat benchmark
                AdminInfo2 = 127.0.0.1
                AdminEMail = bench@localhost
                Info = PeerChat benchmark peer
                Listen = 127.0.0.1
                Ports = {port}
                MotdPhrase = PeerChat benchmark
            [Limits]
                ConnectRetry = 60
                MaxJoins = 10
                PingTimeout = 120
                PongTimeout = 20
                # Debian: 500 in all, 10 per address; the benchmark's 2,000 clients come from one address.
                MaxConnections = 0
                MaxConnectionsIP = 0
                # Flood protection: ngIRCd delays a client's next command by a penalty (a second after a
                # JOIN, and once it sends fast); 0 turns the penalties off (the built-in default, -1, caps none).
                MaxPenaltyTime = 0
            [Options]
                PAM = no
                # Lookups made once per connection, before registration: no part of what is measured.
                DNS = no
                Ident = no
            """, dir => ["-n", "-f", Path.Combine(dir, "ngircd.conf")], port => new IrcSystem { Label = "ngIRCd", Server = Loopback(port) });

    public static Task<(ChildProcess Process, ChatSystem System)> StartInspircdAsync() => StartInspircdWithAsync(string.Empty, "not");

    /// <summary>
    /// InspIRCd for the idle workload, whose clients join channels of 1,000 and read nothing: each JOIN
    /// goes to every member (1,000² / 2 lines a channel) and each joiner gets a NAMES list of all before
    /// it, which would sit in unread send queues. Channel mode +u (auditorium), set on every new channel,
    /// shows a member's join and quit to no one and lists in NAMES only the asker, as PeerChat tells no
    /// one of a login (presence is asked for) and NATS and MQTT no one of a subscription.
    /// </summary>
    public static Task<(ChildProcess Process, ChatSystem System)> StartInspircdQuietChannelAsync() => StartInspircdWithAsync("""
        <module name="auditorium">
        <auditorium opvisible="no" opcansee="no" opercansee="no">
        """, "notu");

    /// <param name="defaultModes">A new channel's modes (Debian's, and the built-in default: "not").</param>
    private static Task<(ChildProcess Process, ChatSystem System)> StartInspircdWithAsync(string modules, string defaultModes) =>
        StartAsync("inspircd", "inspircd.conf", port => $"""
            <server name="irc.bench.local" description="PeerChat benchmark peer" network="Localnet">
            <admin name="PeerChat benchmark" nick="bench" email="bench@localhost">
            <bind address="127.0.0.1" port="{port}" type="clients">
            # Debian: localmax and globalmax 3 (clients per address); threshold 10 and commandrate 1000 (the
            # built-in default): after a burst of 10 commands a client is held to 1 a second (fakelag), which
            # the flood control of every other system here is lifted from too; recvq 8192: the fan-out
            # sender's 200 messages in flight (16 KiB) got it cut off ("RecvQ exceeded"). resolvehostnames
            # is a lookup before registration. softsendq and hardsendq stay Debian's. localmax and globalmax
            # 20,000: the idle workload's 19,000 clients, all from 127.0.0.1, and its warm-up's.
            <connect allow="*" timeout="60" threshold="1000000" commandrate="1000000000" pingfreq="120" hardsendq="262144" softsendq="8192" recvq="65536"
                     localmax="20000" globalmax="20000" resolvehostnames="no">
            <files motd="/etc/inspircd/inspircd.motd">
            <channels users="20" opers="60">
            <options defaultmodes="{defaultModes}" prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15" splitwhois="no" exemptchanops="">
            <security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hideulines="no" hidebans="no" maxtargets="20">
            # Debian: softlimit 1024 (clients in all); 20,000 for the idle workload (InspIRCd lowers it to
            # its open-files limit, 20,000 here, if that is lower).
            <performance quietbursts="yes" softlimit="20000" somaxconn="128" netbuffersize="10240">
            {modules}
            """, dir => ["--runasroot", "--nofork", "--nopid", "--config", Path.Combine(dir, "inspircd.conf")], port => new IrcSystem { Label = "InspIRCd", Server = Loopback(port) });

    public static Task<(ChildProcess Process, ChatSystem System)> StartMosquittoAsync() =>
        StartAsync("mosquitto", "mosquitto.conf", port => $"""
            # Debian's file sets a pid file, persistence and a log file under /var; none of them is wanted here.
            listener {port} 127.0.0.1
            # Mosquitto 2 lets anonymous clients in only while no listener is configured.
            allow_anonymous true
            # max_connections stays the default (-1: no limit); the open-files limit it inherits (20,000
            # here) holds the idle workload's 19,000 clients.
            """, dir => ["-c", Path.Combine(dir, "mosquitto.conf")], port => new MqttSystem { Server = Loopback(port) });

    private static async Task<(ChildProcess Process, ChatSystem System)> StartAsync(string command, string configName, Func<int, string> config, Func<string, string[]> arguments, Func<int, ChatSystem> system)
    {
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory($"peerchat-bench-{command}-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, configName), config(port));
            var process = ChildProcess.StartQuiet(command, arguments(dir.FullName));
            try
            {
                await WaitForListenerAsync(process, command, port);
            }
            catch
            {
                process.Dispose();
                throw;
            }

            return (process, system(port));
        }
        finally
        {
            // Each reads its config once, at start.
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Tries to connect every 50 ms until the server listens, for at most 30 s.</summary>
    private static async Task WaitForListenerAsync(ChildProcess process, string command, int port)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(Loopback(port));
                return;
            }
            catch (SocketException) when (!process.HasExited && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }
            catch (SocketException ex)
            {
                throw new TimeoutException($"{command} did not listen on 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} within 30 s{(process.HasExited ? " (it ended; run it by hand with this config to see why)" : string.Empty)}.", ex);
            }
        }
    }

    private static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
