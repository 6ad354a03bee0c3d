using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;
using Xunit.Abstractions;

namespace PeerChat.Core.Tests;

/// <summary>
/// Faults: killed writers, clients that vanish, slow and flooding clients. The figures go to
/// docs/RELIABILITY.md. They load the machine, so they run alone, not beside the other classes.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class FaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ASignupLoopKilledWithSigkill50Times_NeverLosesAnAcknowledgedAccount()
    {
        using var folder = new TemporaryFolder();
        var storePath = Path.Combine(folder.Path, "users.csv");
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var acknowledged = new List<string>();
        var host = Path.Combine(AppContext.BaseDirectory, "PeerChat.FaultHost.dll");

        for (var kill = 0; kill < 50; kill++)
        {
            using var child = Process.Start(new ProcessStartInfo("dotnet", [host, storePath, (kill * 10_000).ToString(System.Globalization.CultureInfo.InvariantCulture), "10000"])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            Assert.Equal("READY", await child.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience));

            // A random moment: after a random number of acknowledged signups, plus a random fraction
            // of the next one, so that the kill lands anywhere in the write path.
            for (var acks = random.Next(0, 8); acks > 0; acks--)
            {
                acknowledged.Add(ParseAck(await child.StandardOutput.ReadLineAsync().WaitAsync(TestServer.Patience)));
            }

            await Task.Delay(TimeSpan.FromMicroseconds(random.Next(0, 3000)));
            child.Kill();
            await child.WaitForExitAsync().WaitAsync(TestServer.Patience);
            while (await child.StandardOutput.ReadLineAsync() is { } line)
            {
                acknowledged.Add(ParseAck(line));
            }

            var store = CsvUserStore.Open(storePath);
            Assert.True(store.Issues.Count == 0, $"kill {kill} (seed {seed}) left a damaged store: {string.Join("; ", store.Issues)}");
            var missing = acknowledged.Where(name => store.Find(name) is null).ToList();
            Assert.True(missing.Count == 0, $"kill {kill} (seed {seed}) lost acknowledged accounts: {string.Join(", ", missing)}");
        }

        output.WriteLine($"50 kills (seed {seed}): {acknowledged.Count} acknowledged signups, all present; store holds {CsvUserStore.Open(storePath).Count} accounts.");
    }

    [Fact]
    public async Task AThousandClientsThatVanish_WhileOthersBroadcast_LeaveTheServerServing_AndItsMemoryNearBaseline()
    {
        const int vanishing = 1000;
        await using var server = await TestServer.StartAsync(o => o with
        {
            MaxClients = vanishing + 20,
            MaxPendingPerAddress = vanishing + 20,

            // A thousand logins share two cores with the rest of the suite: no login may be cut off for slowness.
            AuthTimeout = TimeSpan.FromMinutes(5),
            MaxFrameBytes = 16 * 1024,
            SendQueueBytes = 64 * 1024,
            SocketSendBufferBytes = 16 * 1024,
            WriteTimeout = TimeSpan.FromSeconds(2),
            FloodBurst = 1_000_000,
            FloodRate = 1_000_000,
        });
        var quiet = new ChatClientOptions { EnableDirect = false };
        var broadcasters = new List<ChatClient>();
        for (var i = 0; i < 3; i++)
        {
            broadcasters.Add(await server.LoginAsync($"speaker{i}", quiet));
        }

        var baseline = ManagedMemory();

        // All of them log in first, then never read again.
        var vanished = new RawClient[vanishing];
        await Parallel.ForEachAsync(Enumerable.Range(0, vanishing), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var raw = RawClient.Connect(server.Port, s => s.ReceiveBufferSize = 4096);
            await raw.ReadFrameAsync("hello");
            await raw.SendLineAsync($$"""{"type":"signup","id":1,"user":"v{{i}}","password":"{{TestServer.Password}}"}""");
            await raw.ReadFrameAsync();
            await raw.SendLineAsync($$"""{"type":"login","id":2,"user":"v{{i}}","password":"{{TestServer.Password}}"}""");
            await raw.ReadFrameAsync("welcome");
            vanished[i] = raw;
        });

        using var stopBroadcasting = new CancellationTokenSource();
        var speaking = broadcasters.Select(b => Task.Run(async () =>
        {
            var sent = 0;
            while (!stopBroadcasting.IsCancellationRequested)
            {
                await b.BroadcastAsync(new string('x', 512));
                sent++;
            }

            return sent;
        })).ToList();

        // While the broadcasts flow, half reset their connections (RST); the other half stay silent,
        // like peers that vanished without a word, and the server finds them as slow consumers.
        for (var i = 0; i < vanishing; i += 2)
        {
            vanished[i].Socket.LingerState = new LingerOption(true, 0);
            vanished[i].Dispose();
        }

        var silent = vanished.Where((_, i) => i % 2 == 1).ToList();
        await server.WaitUntilAsync(() => server.Server.LoggedInCount == broadcasters.Count, "every vanished client is gone", TimeSpan.FromSeconds(60));
        await stopBroadcasting.CancelAsync();
        var broadcasts = (await Task.WhenAll(speaking)).Sum();
        var stillServing = await broadcasters[0].ListAsync();
        foreach (var raw in silent)
        {
            raw.Dispose();
        }

        await server.WaitUntilAsync(() => server.Server.ConnectionCount == broadcasters.Count, "the silent sockets are closed", TimeSpan.FromSeconds(60));

        // The test's own raw clients (64 KiB of buffer each) must not count as the server's memory.
        Array.Clear(vanished);
        silent.Clear();
        var after = ManagedMemory();
        var statistics = server.Server.GetStatistics();
        output.WriteLine($"{vanishing} vanishing clients, {broadcasts} broadcasts meanwhile; managed memory {baseline / 1024} KiB before, {after / 1024} KiB after; {statistics.TotalConnections} connections in all.");

        Assert.Equal(broadcasters.Count, stillServing.Count);
        Assert.Equal(broadcasters.Count, server.Server.LoggedInCount);
        Assert.True(after < baseline + (16 * 1024 * 1024), $"managed memory grew from {baseline} to {after} bytes");
        Assert.True(server.Events.OfType<SlowConsumerDroppedEvent>().Count() >= vanishing / 2, "the silent clients were not all dropped as slow consumers");
    }

    [Fact]
    public async Task ASlowlorisClient_HoldingTheOnlySlot_LosesItAtAuthTimeout_AndARealLoginThenSucceeds()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxClients = 1, AuthTimeout = TimeSpan.FromSeconds(2) });
        using var slowloris = server.ConnectRaw();
        await slowloris.ReadFrameAsync("hello");
        using var dripping = new CancellationTokenSource();
        var drip = Task.Run(async () =>
        {
            // One byte at a time, never a whole frame: the connection looks busy and never logs in.
            var bytes = "{\"type\":\"login\",\"user\":\"slow\",\"password\":\""u8.ToArray();
            try
            {
                for (var i = 0; !dripping.IsCancellationRequested; i++)
                {
                    await slowloris.SendAsync([bytes[i % bytes.Length]]);
                    await Task.Delay(TimeSpan.FromMilliseconds(250), dripping.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
                // Cut off by the server, as it should be.
            }
        });

        var full = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync());
        var cutOff = await server.WaitForEventAsync<ClientDisconnectedEvent>(e => e.Reason == ErrorCodes.AuthTimeout);
        var real = await server.LoginAsync("real");
        await dripping.CancelAsync();
        await drip;

        Assert.Equal(ErrorCodes.ServerFull, full.Code);
        Assert.NotEqual(real.Session!.ClientId, cutOff.ClientId);
        Assert.Equal("real", Assert.Single(await real.ListAsync()).UserName);
    }

    [Fact]
    public async Task AFloodingSender_IsSlowedByFloodControl_WhileOthersAreServed()
    {
        await using var server = await TestServer.StartAsync(o => o with { FloodBurst = 5, FloodRate = 5 });
        var other = await server.LoginAsync("other");
        using var flooder = server.ConnectRaw();
        await flooder.ReadFrameAsync("hello");
        var framesBefore = server.Server.GetStatistics().FramesIn;

        await flooder.SendAsync(System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, 200).Select(i => $"{{\"type\":\"ping\",\"id\":{i}}}\n"))));
        var limited = await flooder.ReadFrameAsync("error");
        for (var i = 0; i < 3; i++)
        {
            await other.PingAsync();
        }

        var framesRead = server.Server.GetStatistics().FramesIn - framesBefore;

        limited.AssertError(ErrorCodes.RateLimited);
        Assert.True(framesRead < 200, $"the server read all {framesRead} frames of the flood at once");
    }

    private static string ParseAck(string? line)
    {
        Assert.NotNull(line);
        Assert.StartsWith("ACK ", line);
        return line[4..];
    }

    private static long ManagedMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
