// PeerChat's benchmark: `PeerChat.Bench all` runs every workload against PeerChat and nats-server in
// one run and prints the side-by-side table; the other modes are its parts (see docs/PERFORMANCE.md).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using PeerChat.Bench;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Server;
using PeerChat.Store.Sqlite;

var mode = args.Length > 0 ? args[0] : "all";
switch (mode)
{
    case "serve":
        // maxClients [hashIterations] [--no-store] [--default-queues] [--default-flood]: hashing 1
        // unless given, since only the login storm measures it; the message store on, as a server
        // started by the cmdlets has it; outbound queues' soft bounds lifted unless --default-queues;
        // flood control and AuthTimeout lifted unless --default-flood (the hostile-input run);
        // --cluster <configuration> [--node <name>]: a node of a cluster on that Redis (ClusterNodeStore).
        await ServeAsync(
            int.Parse(args[1], CultureInfo.InvariantCulture),
            args.Length > 2 && !args[2].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1,
            withStore: !args.Contains("--no-store"),
            defaultQueues: args.Contains("--default-queues"),
            defaultFlood: args.Contains("--default-flood"),
            cluster: OptionValue(args, "--cluster"),
            node: OptionValue(args, "--node") ?? "node-a");
        break;
    case "login-storm":
        // Against a server already running with real hashing (serve 20000 600000): port, loginers, seconds.
        Console.WriteLine(await LoginStorm.RunAsync(new IPEndPoint(IPAddress.Loopback, int.Parse(args[1], CultureInfo.InvariantCulture)), int.Parse(args[2], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(int.Parse(args[3], CultureInfo.InvariantCulture))));
        break;
    case "fanout":
        // One workload against a PeerChat server already running (e.g. under perf): port, receivers, messages, rounds,
        // [--web] (the port is the web port, the clients speak peerchat.v1 over /ws), [--irc] (the port is
        // serve's IRCPORT: the IRC gateway's fan-out in #everyone), [--irc-peer] (a plain IRC server
        // started by the "peer" mode: its fan-out in #bench).
        var fanOutServer = new IPEndPoint(IPAddress.Loopback, int.Parse(args[1], CultureInfo.InvariantCulture));
        ChatSystem fanOutSystem = args.Contains("--web") ? new PeerChatWebSocketSystem { Server = fanOutServer }
            : args.Contains("--irc") ? Servers.PeerChatIrc(fanOutServer)
            : args.Contains("--irc-peer") ? new IrcSystem { Label = "IRC peer", Server = fanOutServer }
            : new PeerChatSystem { Server = fanOutServer };
        for (var round = 0; round < int.Parse(args[4], CultureInfo.InvariantCulture); round++)
        {
            Console.WriteLine(await FanOut.RunAsync(fanOutSystem, int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), window: 200));
        }

        break;
    case "peer":
        {
            // One peer server started as the IRC fan-out table starts it, for runs by hand: ngircd|inspircd.
            // Prints its PORT and PID; the end of stdin (or any line) stops it.
            var (peer, peerSystem) = args[1] == "ngircd" ? await PeerServers.StartNgircdAsync() : await PeerServers.StartInspircdAsync();
            using (peer)
            {
                Console.WriteLine($"PORT {((IrcSystem)peerSystem).Server.Port}");
                Console.WriteLine($"PID {peer.Pid}");
                await Console.In.ReadLineAsync();
            }

            break;
        }

    case "pingpong":
        // Relay ping-pong against a server already running: port, seconds, [peerchat|peerchat-no-receipts|nats|nats-verbose|irc|mqtt], [pairs, 50 unless given].
        var pingPongServer = new IPEndPoint(IPAddress.Loopback, int.Parse(args[1], CultureInfo.InvariantCulture));
        ChatSystem pingPongSystem = (args.Length > 3 ? args[3] : "peerchat") switch
        {
            "nats" => new NatsSystem { Server = pingPongServer },
            "nats-verbose" => new NatsSystem { Server = pingPongServer, Verbose = true },
            "irc" => new IrcSystem { Label = "IRC", Server = pingPongServer },
            "mqtt" => new MqttSystem { Server = pingPongServer },
            "peerchat-no-receipts" => new PeerChatSystem { Server = pingPongServer, Receipts = false },
            _ => new PeerChatSystem { Server = pingPongServer },
        };
        var pingPongPairs = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 50;
        Console.WriteLine(await PingPong.RunAsync(pingPongSystem, pingPongPairs, TimeSpan.FromSeconds(int.Parse(args[2], CultureInfo.InvariantCulture))));
        break;
    case "direct":
        {
            // Direct ping-pong between PeerChat clients brokered by a server already running: port, seconds, [pairs, 50 unless given].
            var directPairs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50;
            using var allocations = Environment.GetEnvironmentVariable("PEERCHAT_BENCH_ALLOCATIONS") == "1" ? new AllocationWatch() : null;
            var directResult = await DirectPingPong.RunAsync(new IPEndPoint(IPAddress.Loopback, int.Parse(args[1], CultureInfo.InvariantCulture)), directPairs, TimeSpan.FromSeconds(int.Parse(args[2], CultureInfo.InvariantCulture)));
            Console.WriteLine(directResult);

            // What the client library allocates (both ends of every pair, logins included), for profiling it;
            // with PEERCHAT_BENCH_ALLOCATIONS=1, by type too (as serve's "alloc").
            Console.Error.WriteLine($"allocated {GC.GetTotalAllocatedBytes(precise: true)} bytes, gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}");
            if (allocations is not null)
            {
                Console.Error.WriteLine(allocations.Report());
            }

            break;
        }

    case "send-loop":
        {
            // Direct sends one at a time from a blocked caller, as Send-PeerChatMessage makes them: port, rounds of 500.
            var port = int.Parse(args[1], CultureInfo.InvariantCulture);
            var receiver = await PeerChat.Core.Client.ChatClient.ConnectAsync("127.0.0.1", port);
            await receiver.LoginAsync("pb0", PeerChatSystem.Password);
            var sender = await PeerChat.Core.Client.ChatClient.ConnectAsync("127.0.0.1", port);
            await sender.LoginAsync("pa0", PeerChatSystem.Password);
            var rates = new List<string>();
            for (var round = 0; round < int.Parse(args[2], CultureInfo.InvariantCulture); round++)
            {
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < 500; i++)
                {
                    sender.SendAsync("pb0", "message", route: PeerChat.Core.Client.RoutePreference.Direct).GetAwaiter().GetResult();
                    receiver.Events.TryRead(out _);
                }

                rates.Add($"{500 / Stopwatch.GetElapsedTime(started).TotalSeconds:0}");
            }

            Console.WriteLine(string.Join(' ', rates));
            break;
        }

    case "cold-ab":
        // Cold fan-out of several servers interleaved: rounds, then folders holding a copy of this program, or "nats".
        await ColdAb.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), args[2..].Where(a => !a.StartsWith("--sizes=", StringComparison.Ordinal)).ToArray(),
            args.FirstOrDefault(a => a.StartsWith("--sizes=", StringComparison.Ordinal))?["--sizes=".Length..].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() ?? [50, 500, 2000]);
        break;
    case "store":
        // The message store alone, in this process: [--quick].
        Console.WriteLine(await StoreBench.RunAsync(args.Contains("--quick")));
        break;
    case "idle-worker":
        await IdleWorkerAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture));
        break;
    default:
        await RunAllAsync(args.Skip(1).ToArray());
        break;
}

// A PeerChat server in a process of its own, so that its memory and CPU are its own.
static async Task ServeAsync(int maxClients, int hashIterations, bool withStore, bool defaultQueues, bool defaultFlood, string? cluster, string node)
{
    var defaults = new ChatServerOptions();
    var folder = Directory.CreateTempSubdirectory("peerchat-bench-");
    var messageStore = withStore && cluster is null ? SqliteMessageStore.Open(Path.Combine(folder.FullName, "messages.db"), new MessageStoreSettings()) : null;
    var clusterNode = cluster is null ? null : await ClusterNodeStore.OpenAsync(cluster, node);
    var options = new ChatServerOptions
    {
        ListenAddress = IPAddress.Loopback,
        Port = 0,
        MaxClients = maxClients,
        MaxPendingPerAddress = maxClients,
        MaxSessionsPerAddress = maxClients,
        ReservedSlots = 0,
        HashIterations = hashIterations,
        SignupsPerAddressPerMinute = 1_000_000,
        FloodBurst = defaultFlood ? defaults.FloodBurst : 1_000_000,
        FloodRate = defaultFlood ? defaults.FloodRate : 1_000_000,
        FloodBytesBurst = defaultFlood ? defaults.FloodBytesBurst : int.MaxValue,
        FloodBytesRate = defaultFlood ? defaults.FloodBytesRate : 1e12,

        // Broadcasts are dropped only where the client would have been cut off before the soft bound existed, as measured so far.
        SendQueueSoftBytes = defaultQueues ? new ChatServerOptions().SendQueueSoftBytes : new ChatServerOptions().SendQueueBytes,
        SendQueueSoftFrames = defaultQueues ? new ChatServerOptions().SendQueueSoftFrames : new ChatServerOptions().SendQueueFrames,
        AuthTimeout = defaultFlood ? defaults.AuthTimeout : TimeSpan.FromMinutes(10),
        MessageStore = (IMessageStore?)clusterNode?.Store ?? messageStore,
        Backplane = clusterNode?.Backplane,

        // PeerChat's IRC gateway too, on a port of its own (the IRC fan-out's third system).
        IrcPort = 0,

        // And its web listener (/ws), for the WebSocket fan-out and the slowloris.
        WebPort = 0,
    };
    var store = CsvUserStore.Open(Path.Combine(folder.FullName, "users.csv"));

    // Every account the workloads use exists before they start, in one write: signups rewrite the
    // store file each time (durably), which is not what the workloads measure.
    var record = PasswordHasher.Hash(PeerChatSystem.Password, options.HashIterations);
    var names = new[] { "sender" }
        .Concat(Enumerable.Range(0, 2000).Select(i => $"r{i}"))
        .Concat(Enumerable.Range(0, 50).SelectMany(i => new[] { $"pa{i}", $"pb{i}" }))
        .Concat(Enumerable.Range(0, 20_000).Select(i => $"idle{i}"));
    await store.TryAddManyAsync(names.Select(n => new UserRecord(n, record)).ToList());

    // That setup leaves garbage a real server (which loads its store from the file) never has;
    // collected once here, so that the idle workload's RSS growth is the connections' own.
    GC.Collect();
    await using var server = new ChatServer(options, store);
    server.Start();
    Console.WriteLine($"PORT {server.Port}");
    Console.WriteLine($"IRCPORT {server.IrcPort}");
    Console.WriteLine($"WEBPORT {server.WebPort}");

    // "heap" asks for the live managed heap (after a full collection), which the idle workload
    // reports beside the RSS; "connections" for the count of connections held; "store" for the
    // store writer's counters so far, for A/B runs by hand; anything else, or the end of stdin,
    // stops the server.
    using var allocations = Environment.GetEnvironmentVariable("PEERCHAT_BENCH_ALLOCATIONS") == "1" ? new AllocationWatch() : null;
    while (await Console.In.ReadLineAsync() is { } command && command is "heap" or "store" or "gc" or "alloc" or "connections")
    {
        if (command == "alloc")
        {
            Console.WriteLine(allocations?.Report() ?? "ALLOC (set PEERCHAT_BENCH_ALLOCATIONS=1)");
        }
        else if (command == "connections")
        {
            // How many connections the server holds (logged in or not), for the idle workload to wait until its warm-up's are gone.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CONNECTIONS {server.ConnectionCount}"));
        }
        else if (command == "heap")
        {
            Console.WriteLine($"HEAP {GC.GetTotalMemory(forceFullCollection: true)}");
        }
        else if (command == "gc")
        {
            // Where RSS beyond the live heap goes: the GC's committed memory and fragmentation, and threads.
            var info = GC.GetGCMemoryInfo(GCKind.Any);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GC heap {info.HeapSizeBytes} fragmented {info.FragmentedBytes} committed {info.TotalCommittedBytes} gen0-collections {GC.CollectionCount(0)} gen2-collections {GC.CollectionCount(2)} threads {Process.GetCurrentProcess().Threads.Count} allocated {GC.GetTotalAllocatedBytes(precise: true)}"));
        }
        else if (messageStore?.Writer is { } writer)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STORE groups {writer.GroupsCommitted} operations {writer.OperationsCommitted} work-ms {writer.WorkTicks * 1000 / Stopwatch.Frequency} commit-ms {writer.CommitTicks * 1000 / Stopwatch.Frequency} catch-ups {writer.Checkpointer.CatchUps} catch-up-ms {writer.Checkpointer.CatchUpTicks * 1000 / Stopwatch.Frequency}"));
        }
    }

    await server.StopAsync();
    if (messageStore is not null)
    {
        await messageStore.DisposeAsync();
    }

    if (clusterNode is not null)
    {
        await clusterNode.Store.DisposeAsync();
    }

    folder.Delete(recursive: true);
}

// Part of the idle workload run from several processes (each may hold 20,000 files): peerchat|nats|irc|mqtt,
// the server's port, the first client's number and the count; the end of stdin disconnects them.
static async Task IdleWorkerAsync(string system, int port, int first, int count)
{
    var server = new IPEndPoint(IPAddress.Loopback, port);
    ChatSystem target = system switch
    {
        "nats" => new NatsSystem { Server = server },
        "mqtt" => new MqttSystem { Server = server },
        _ => new PeerChatSystem { Server = server },
    };

    // IRC clients join channels of 1,000 (#idle0, #idle1, ...): InspIRCd's work for a JOIN grows with
    // the channel (it walks the members to choose who sees it), so 19,000 joins into one channel take
    // minutes, while the memory a member costs does not depend on the channel's size.
    var ircChannels = Enumerable.Range(0, 20).Select(c => new IrcSystem { Label = "IRC", Server = server, Channel = $"#idle{c}" }).ToArray();
    Func<int, ChatSystem> systemFor = system == "irc" ? i => ircChannels[i / 1_000] : _ => target;

    // InspIRCd completes a registration in a timer that runs once a second: with 64 in flight it
    // would take 19,000 clients five minutes, so IRC clients register 1,000 at a time.
    var (connections, elapsed) = await Idle.ConnectAsync(systemFor, first, count, parallel: system == "irc" ? 1_000 : 64);
    Console.WriteLine($"READY {connections.Count} {elapsed.TotalSeconds.ToString(CultureInfo.InvariantCulture)}");
    await Console.In.ReadLineAsync();
    foreach (var connection in connections)
    {
        await connection.DisposeAsync();
    }
}

static async Task RunAllAsync(string[] options)
{
    var quick = options.Contains("--quick");
    var idleOnly = options.Contains("--idle-only");
    var report = new StringBuilder();
    if (options.Contains("--cold"))
    {
        // Fan-out from a cold start alone; --module <out/PeerChat> for the module's compiled assemblies.
        var moduleAt = Array.IndexOf(options, "--module");
        var module = moduleAt >= 0 && moduleAt + 1 < options.Length ? options[moduleAt + 1] : null;
        report.AppendLine(await ColdFanOut.BuildTableAsync(module));
        await PublishAsync(report);
        return;
    }

    if (options.Contains("--cluster-only"))
    {
        // Issue 14 alone: three nodes and a redis-server of this run's own (ClusterBench).
        report.AppendLine(await ClusterBench.RunAsync(quick));
        await PublishAsync(report);
        return;
    }

    if (options.Contains("--store-only"))
    {
        report.AppendLine(await StoreBench.RunAsync(quick));
        await PublishAsync(report);
        return;
    }

    if (options.Contains("--web-only"))
    {
        // Issue 17 alone: fan-out over WebSocket against plain peerchat/1 on one server, then a slowloris on its web port.
        await WebAsync(report, quick);
        await PublishAsync(report);
        return;
    }

    if (options.Contains("--irc-hostile-only"))
    {
        // Issue 16's hostile input on the IRC port alone, with the server's memory.
        await IrcHostileAsync(report, quick);
        await PublishAsync(report);
        return;
    }

    if (options.Contains("--offline-only") || options.Contains("--irc-only") || options.Contains("--peers-only"))
    {
        // One workload alone: the offline drain, or the peers of issues 16 and 18 (IRC fan-out, or relay ping-pong against every peer).
        await (options.Contains("--offline-only") ? OfflineDrainAsync(report, quick)
            : options.Contains("--irc-only") ? IrcFanOutAsync(report, quick)
            : PeersPingPongAsync(report, quick));
        await PublishAsync(report);
        return;
    }

    if (!idleOnly)
    {
        await ThroughputAsync(report, quick, fanOutOnly: options.Contains("--fanout-only"));
        if (options.Contains("--peers"))
        {
            await IrcFanOutAsync(report, quick);
            await PeersPingPongAsync(report, quick);
        }

        if (options.Contains("--throughput-only") || options.Contains("--fanout-only"))
        {
            // Fan-out and ping-pong alone (or fan-out alone): the workloads a change to the message path moves.
            await PublishAsync(report);
            return;
        }

        await LoginStormAsync(report, quick);
        await OfflineDrainAsync(report, quick);
    }

    if (options.Contains("--store"))
    {
        report.AppendLine(await StoreBench.RunAsync(quick));
    }

    report.AppendLine(await IdleTable.BuildAsync(quick));
    await PublishAsync(report);
}

// The value after an option (--cluster <configuration>), or null when it is not given.
static string? OptionValue(string[] args, string option)
{
    var at = Array.IndexOf(args, option);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

// The report on the console and in out/bench/results.md, for docs/PERFORMANCE.md.
static async Task PublishAsync(StringBuilder report)
{
    Console.WriteLine(report.ToString());
    Directory.CreateDirectory("out/bench");
    await File.WriteAllTextAsync("out/bench/results.md", report.ToString());
}

// PeerChat alone (nats-server keeps nothing for a subscriber that is away), on a fresh server with its store.
static async Task OfflineDrainAsync(StringBuilder report, bool quick)
{
    // The outbound queue's default soft bound sets the size of an offline batch (498 messages).
    var (server, system) = await Servers.StartPeerChatWithAsync(typeof(FanOut).Assembly.Location, "--default-queues");
    using (server)
    {
        report.AppendLine(await OfflineDrain.RunAsync(system.Server, queued: 1000, rounds: quick ? 2 : 10));
    }
}

// Fan-out in one IRC channel on ngIRCd and InspIRCd (Debian's builds) and PeerChat's IRC gateway, each started for this table.
static async Task IrcFanOutAsync(StringBuilder report, bool quick)
{
    var (ngircd, ngircdSystem) = await PeerServers.StartNgircdAsync();
    using var ownedNgircd = ngircd;
    var (inspircd, inspircdSystem) = await PeerServers.StartInspircdAsync();
    using var ownedInspircd = inspircd;
    var (peerchat, gatewaySystem) = await Servers.StartPeerChatIrcAsync();
    using var ownedPeerChat = peerchat;
    report.AppendLine(await FanOutTable.BuildAsync(
        [new(ngircd, ngircdSystem), new(inspircd, inspircdSystem), new(peerchat, gatewaySystem)],
        "IRC fan-out (one channel, PRIVMSG of 64-byte texts, 200 in flight; plain IRC, no capabilities; "
            + "PeerChat's gateway in #everyone (every user is in it from registration), message store on",
        quick));
    report.AppendLine();
}

// Issue 16's hostile IRC input on a fresh server with default flood control, so its memory is its own.
static async Task IrcHostileAsync(StringBuilder report, bool quick)
{
    var (server, irc, plain) = await Servers.StartPeerChatIrcWithAsync("--default-flood");
    using (server)
    {
        report.AppendLine(await IrcHostile.RunAsync(server, irc, plain, perKind: quick ? 20 : 100, TimeSpan.FromSeconds(quick ? 12 : 20)));
    }
}

// One PeerChat server seen over plain peerchat/1 and over its /ws; a fresh one for the slowloris, so its memory is its own.
static async Task WebAsync(StringBuilder report, bool quick)
{
    var (server, plain, web) = await Servers.StartPeerChatWebAsync();
    using (server)
    {
        report.AppendLine(await WebFanOutTable.BuildAsync(server, plain, web, quick));
    }

    (server, plain, web) = await Servers.StartPeerChatWebAsync();
    using (server)
    {
        report.AppendLine(await Slowloris.RunAsync(server, web.Server, plain, web, connections: quick ? 100 : 500));
    }
}

// Relay ping-pong: PeerChat against nats-server, ngIRCd, InspIRCd and Mosquitto, all running through it.
// Beside PeerChat's defaults, a server with neither of the two things no peer does (the durable
// message store, the `sent` receipt), so that one run compares defaults and like with like.
static async Task PeersPingPongAsync(StringBuilder report, bool quick)
{
    var (peerchat, peerchatSystem) = await Servers.StartPeerChatAsync();
    using var ownedPeerChat = peerchat;
    var (bare, bareAsStarted) = await Servers.StartPeerChatWithAsync(typeof(FanOut).Assembly.Location, "--no-store");
    using var ownedBare = bare;
    var bareSystem = new PeerChatSystem { Server = bareAsStarted.Server, Receipts = false, Label = "PeerChat, no store, no receipts" };
    var peers = new List<ChatSystem>();
    var processes = new List<ChildProcess>();
    try
    {
        foreach (var start in new[] { Servers.StartNatsAsync, PeerServers.StartNgircdAsync, PeerServers.StartInspircdAsync, PeerServers.StartMosquittoAsync })
        {
            var (process, system) = await start();
            processes.Add(process);
            peers.Add(system);
        }

        report.AppendLine(await PeersPingPongTable.BuildAsync([peerchatSystem, bareSystem], peers, quick));
        report.AppendLine();
    }
    finally
    {
        foreach (var process in processes)
        {
            process.Dispose();
        }
    }
}

// PeerChat alone (nats-server hashes no passwords): a client's pings while others log in at the default HashIterations.
static async Task LoginStormAsync(StringBuilder report, bool quick)
{
    using var server = ChildProcess.Start("dotnet", [typeof(FanOut).Assembly.Location, "serve", "20000", PasswordHasher.DefaultIterations.ToString(CultureInfo.InvariantCulture)]);
    var port = int.Parse((await server.ReadReportAsync("PORT")).Trim(), CultureInfo.InvariantCulture);
    var endpoint = new IPEndPoint(IPAddress.Loopback, port);
    await LoginStorm.RunAsync(endpoint, 0, TimeSpan.FromSeconds(quick ? 1 : 5));

    report.AppendLine(CultureInfo.InvariantCulture, $"### Login storm (PeerChat, HashIterations {PasswordHasher.DefaultIterations:N0}; one logged-in client pings every 10 ms while others log in over and over)");
    report.AppendLine();
    report.AppendLine("| clients logging in | logins/s | answered `throttled` (waited out and tried again) | pings | ping p50 ms | ping p99 ms | ping max ms |");
    report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var loginers in quick ? [8] : new[] { 0, 8, 32 })
    {
        var r = await LoginStorm.RunAsync(endpoint, loginers, TimeSpan.FromSeconds(quick ? 3 : 15));
        report.AppendLine(CultureInfo.InvariantCulture, $"| {r.Loginers} | {r.LoginsPerSecond:0.0} | {r.Throttled} | {r.Pings} | {r.PingP50Ms:0.00} | {r.PingP99Ms:0.00} | {r.PingMaxMs:0.00} |");
    }

    report.AppendLine();
}

// Fan-out and ping-pong, against one server of each system that lives through both.
static async Task ThroughputAsync(StringBuilder report, bool quick, bool fanOutOnly)
{
    var (peerchat, peerchatSystem) = await Servers.StartPeerChatAsync();
    var (nats, natsSystem) = await Servers.StartNatsAsync();
    using var ownedPeerChat = peerchat;
    using var ownedNats = nats;
    var systems = new[] { peerchatSystem, natsSystem };

    // The table warms both servers up the same way before it measures: PeerChat's code is compiled
    // just in time and reaches its optimised tier after some thousands of calls (a cold 50-receiver
    // fan-out ran at 0.65 M deliveries/s, warm at 1.6–1.9 M), while nats-server is compiled ahead of
    // time. Measured runs then compare steady states.
    report.AppendLine(await FanOutTable.BuildAsync(
        [new(peerchat, peerchatSystem), new(nats, natsSystem)],
        "Fan-out (64-byte messages, 200 in flight; PeerChat with its message store on, the default",
        quick));
    report.AppendLine();
    if (fanOutOnly)
    {
        return;
    }

    // The same warm-up of the ping-pong for both, and of the client library for the direct route.
    foreach (var system in systems)
    {
        await PingPong.RunAsync(system, 50, TimeSpan.FromSeconds(quick ? 1 : 3));
        await Servers.WaitForDisconnectsAsync();
    }

    await DirectPingPong.RunAsync(systems[0].Server, 50, TimeSpan.FromSeconds(quick ? 1 : 3));
    await Servers.WaitForDisconnectsAsync();

    report.AppendLine(await PingPongTable.BuildAsync(systems[0].Server, systems[1].Server, quick));
    report.AppendLine();
}
