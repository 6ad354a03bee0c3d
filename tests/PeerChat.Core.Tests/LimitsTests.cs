using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

public sealed class LimitsTests
{
    [Fact]
    public void AShutdownTimeout_BelowZero_IsRefused_AndZeroOrInfiniteAreTaken()
    {
        var refused = Assert.Throws<ArgumentException>(() => new ChatServerOptions { ShutdownTimeout = TimeSpan.FromSeconds(-2) }.Validate());
        Assert.Equal(nameof(ChatServerOptions.ShutdownTimeout), refused.ParamName);
        new ChatServerOptions { ShutdownTimeout = TimeSpan.Zero }.Validate();
        new ChatServerOptions { ShutdownTimeout = Timeout.InfiniteTimeSpan }.Validate();
    }

    [Fact]
    public async Task FillMaxClients_Overflow_Drain_Repeat_AndTheCountReturnsToZero()
    {
        const int maxClients = 5;
        await using var server = await TestServer.StartAsync(o => o with { MaxClients = maxClients });

        for (var round = 1; round <= 3; round++)
        {
            var clients = new List<ChatClient>();
            for (var i = 0; i < maxClients; i++)
            {
                clients.Add(await server.LoginAsync($"r{round}u{i}"));
            }

            var overflow = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync());
            Assert.Equal(ErrorCodes.ServerFull, overflow.Code);
            Assert.Equal(maxClients, server.Server.ConnectionCount);

            foreach (var client in clients)
            {
                await client.LogoutAsync();
            }

            await server.WaitUntilAsync(() => server.Server.ConnectionCount == 0 && server.Server.LoggedInCount == 0, $"round {round} drained");
        }

        Assert.Equal(3, server.Server.GetStatistics().Rejected);
    }

    [Fact]
    public async Task PendingConnectionsCountTowardMaxClients()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxClients = 2 });
        using var first = server.ConnectRaw();
        using var second = server.ConnectRaw();
        await first.ReadFrameAsync();
        await second.ReadFrameAsync();

        using var third = server.ConnectRaw();
        var frames = await third.ReadUntilClosedAsync();

        Assert.Equal([ErrorCodes.ServerFull], frames.Select(f => f.Code()));
        await server.WaitForEventAsync<ClientRejectedEvent>(e => e.Code == ErrorCodes.ServerFull);
    }

    [Fact]
    public async Task OneAddress_MayHoldOnlyMaxPendingPerAddress_ConnectionsBeforeLogin()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxPendingPerAddress = 2 });
        using var first = server.ConnectRaw();
        using var second = server.ConnectRaw();
        await first.ReadFrameAsync();
        await second.ReadFrameAsync();

        using var third = server.ConnectRaw();
        var refused = await third.ReadUntilClosedAsync();
        var alice = await Task.Run(async () =>
        {
            // Once one of them logs in, it no longer counts as pending and a new connection is welcome.
            await first.SendLineAsync("""{"type":"signup","id":1,"user":"alice","password":"correct horse battery"}""");
            await first.ReadFrameAsync();
            await first.SendLineAsync("""{"type":"login","id":2,"user":"alice","password":"correct horse battery"}""");
            return await first.ReadFrameAsync("welcome");
        });
        using var fourth = server.ConnectRaw();
        var hello = await fourth.ReadFrameAsync();

        Assert.Equal([ErrorCodes.TooManyConnections], refused.Select(f => f.Code()));
        Assert.Equal("alice", alice.Str("user"));
        Assert.Equal("hello", hello.Type());
    }

    [Fact]
    public async Task AuthTimeout_ClosesAConnectionThatDidNotLogIn()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();
        await raw.SendLineAsync("""{"type":"ping","id":1}""");
        await raw.ReadFrameAsync();

        clock.Advance(TimeSpan.FromSeconds(9.9));
        await raw.SendLineAsync("""{"type":"ping","id":2}""");
        var stillThere = await raw.ReadFrameAsync();
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var frames = await raw.ReadUntilClosedAsync();

        Assert.Equal("pong", stillThere.Type());
        Assert.Equal([ErrorCodes.AuthTimeout], frames.Select(f => f.Code()));
        var gone = await server.WaitForEventAsync<ClientDisconnectedEvent>();
        Assert.Equal(ErrorCodes.AuthTimeout, gone.Reason);
    }

    [Fact]
    public async Task IdleRule_OneMessageInTheWindow_IsDroppedWithTheOriginalWords()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        var idle = await server.LoginAsync("idle");
        var other = await server.LoginAsync("other");

        await idle.BroadcastAsync("only one");
        await idle.PingAsync();
        await idle.PingAsync();
        await other.ListAsync();
        await other.ListAsync();
        clock.Advance(TimeSpan.FromMinutes(30));
        var notice = (ChatNotice)await idle.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        await idle.Completion.WaitAsync(TestServer.Patience);
        var dropped = await server.WaitForEventAsync<ClientIdleDroppedEvent>();

        Assert.Equal(NoticeCodes.IdleTimeout, notice.Code);
        Assert.Equal("Inactive for too long, terminating connection", notice.Message);
        Assert.Equal(("idle", 1), (dropped.UserName, dropped.MessagesInWindow));
        Assert.DoesNotContain("idle", (await other.ListAsync()).Select(c => c.UserName));
    }

    [Fact]
    public async Task IdleRule_TwoMessagesInTheWindow_KeepTheClient_ForANewWindow()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        var active = await server.LoginAsync("active");

        await active.ListAsync();
        await active.BroadcastAsync("second");
        clock.Advance(TimeSpan.FromMinutes(30));
        var stillIn = await active.ListAsync();
        await active.SendAsync("active", "to myself");
        clock.Advance(TimeSpan.FromMinutes(30));
        var kept = await active.PingAsync();
        clock.Advance(TimeSpan.FromMinutes(30));
        await active.Completion.WaitAsync(TestServer.Patience);

        Assert.Equal("active", Assert.Single(stillIn).UserName);
        Assert.True(kept > TimeSpan.Zero);
        Assert.Equal(NoticeCodes.IdleTimeout, active.CloseReason!.Code);
    }

    [Fact]
    public async Task IdleRule_MessagesSentOverAnOpenDirectLink_CountThroughActivityReports()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        var alice = await server.LoginAsync("alice", new ChatClientOptions { TimeProvider = clock });
        var bob = await server.LoginAsync("bob", new ChatClientOptions { TimeProvider = clock });

        // The first direct message asks the server for the peer (a request; under load a link may be
        // asked for again); the messages themselves pass only the link.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(MessageRoute.Direct, (await alice.SendAsync("bob", $"direct {i}", route: RoutePreference.Direct)).Route);
        }

        // The first MinMessages (2) of a quarter window are reported at once, the third when the quarter ends.
        var linksAsked = server.Server.GetStatistics().DirectConnectionsBrokered;
        await server.WaitUntilAsync(() => Messages(server, "alice") == linksAsked + 2, "alice's first two direct messages are reported at once");
        clock.Advance(TimeSpan.FromMinutes(7.5));
        await server.WaitUntilAsync(() => Messages(server, "alice") == linksAsked + 3, "alice's third direct message is reported at the end of the quarter");
        clock.Advance(TimeSpan.FromMinutes(22.5));
        await bob.Completion.WaitAsync(TestServer.Patience);
        var stillIn = await alice.ListAsync();

        Assert.Equal(NoticeCodes.IdleTimeout, bob.CloseReason!.Code);
        Assert.Equal("alice", Assert.Single(stillIn).UserName);
    }

    private static int Messages(TestServer server, string userName) =>
        server.Server.GetClients().Single(c => c.UserName == userName).Messages;

    [Fact]
    public async Task IdleRule_PingsDoNotCount()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        var pinger = await server.LoginAsync("pinger");

        for (var i = 0; i < 10; i++)
        {
            await pinger.PingAsync();
        }

        clock.Advance(TimeSpan.FromMinutes(30));
        await pinger.Completion.WaitAsync(TestServer.Patience);

        Assert.Equal(NoticeCodes.IdleTimeout, pinger.CloseReason!.Code);
    }

    [Fact]
    public async Task FloodControl_PausesReadingWithRateLimited_ButLosesNothing()
    {
        await using var server = await TestServer.StartAsync(o => o with { FloodBurst = 5, FloodRate = 100 });
        using var raw = server.ConnectRaw();
        await raw.ReadFrameAsync();

        var burst = string.Concat(Enumerable.Range(1, 30).Select(i => $"{{\"type\":\"ping\",\"id\":{i}}}\n"));
        await raw.SendAsync(System.Text.Encoding.UTF8.GetBytes(burst));
        var frames = new List<System.Text.Json.JsonElement>();
        while (frames.Count(f => f.Type() == "pong") < 30)
        {
            frames.Add(await raw.ReadFrameAsync());
        }

        // Announced once per flood, at its first pause. A flood ends when the bucket is full again,
        // which takes 50 ms here: a receive loop held up that long (a busy machine) starts a second
        // one, told again. A notice at every pause would be 25 of them.
        var errors = frames.Where(f => f.Type() == "error").ToList();
        Assert.InRange(errors.Count, 1, 5);
        Assert.All(errors, e => e.AssertError(ErrorCodes.RateLimited));
        var limited = errors[0];
        Assert.True(limited.GetProperty("retryAfterMs").GetInt64() > 0);
        Assert.Equal(Enumerable.Range(1, 30), frames.Where(f => f.Type() == "pong").Select(f => f.GetProperty("re").GetInt32()));
    }

    [Fact]
    public async Task AFloodingClient_DoesNotStarveTheOthers()
    {
        await using var server = await TestServer.StartAsync(o => o with { FloodBurst = 5, FloodRate = 5 });
        using var flooder = server.ConnectRaw();
        await flooder.ReadFrameAsync();
        var other = await server.LoginAsync("other");

        var flood = string.Concat(Enumerable.Range(1, 200).Select(i => $"{{\"type\":\"ping\",\"id\":{i}}}\n"));
        await flooder.SendAsync(System.Text.Encoding.UTF8.GetBytes(flood));
        var answers = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await other.PingAsync());
        }

        Assert.Equal(3, answers.Count);
    }

    [Fact]
    public async Task AWriteBlockedPastWriteTimeout_DropsTheClientAsSlowConsumer_BeforeItsQueueIsFull()
    {
        await using var server = await TestServer.StartAsync(o => o with
        {
            SocketSendBufferBytes = 4096,
            WriteTimeout = TimeSpan.FromSeconds(1),
            FloodBurst = 100,
        });
        var sender = await server.LoginAsync("sender");
        var reader = await server.LoginAsync("reader");
        using var stuck = RawClient.Connect(server.Port, s => s.ReceiveBufferSize = 4096);
        await stuck.ReadFrameAsync("hello");
        await stuck.SendLineAsync("""{"type":"signup","id":1,"user":"stuck","password":"correct horse battery"}""");
        await stuck.ReadFrameAsync();
        await stuck.SendLineAsync("""{"type":"login","id":2,"user":"stuck","password":"correct horse battery"}""");
        await stuck.ReadFrameAsync("welcome");

        // Eight 60 KB broadcasts: far more than the socket buffers hold, far less than the 1 MiB queue bound.
        var text = new string('x', 60_000);
        for (var i = 0; i < 8; i++)
        {
            await sender.BroadcastAsync(text);
        }

        var dropped = await server.WaitForEventAsync<SlowConsumerDroppedEvent>();
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(text, ((ChatMessage)await reader.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience)).Text);
        }

        Assert.Equal("stuck", dropped.UserName);
        Assert.InRange(dropped.QueuedBytes, 0, 1024 * 1024 - 1);
        await server.WaitUntilAsync(() => server.Server.ConnectionCount == 2, "the stuck client is gone");
    }

    [Fact]
    public async Task Stop_SendsServerShutdownToEveryClient()
    {
        var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");

        await server.Server.StopAsync();
        var notices = await Task.WhenAll(new[] { alice, bob }.Select(async c => (ChatNotice)await c.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience)));
        await server.DisposeAsync();

        Assert.All(notices, n => Assert.Equal(NoticeCodes.ServerShutdown, n.Code));
        Assert.True(server.Server.Completion.IsCompletedSuccessfully);
        await Assert.ThrowsAsync<ChatClientException>(() => ChatClient.ConnectAsync("127.0.0.1", server.Port));
    }

    [Fact]
    public async Task ADroppedConnection_EndsPendingRequestsWithAnError_NotAHang()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");

        await server.Server.StopAsync();
        var error = await Assert.ThrowsAsync<ChatClientException>(() => alice.ListAsync().WaitAsync(TestServer.Patience));

        Assert.Equal(NoticeCodes.ServerShutdown, error.Code);
    }

    [Fact]
    public async Task StartingOnAPortInUse_FailsAtOnce()
    {
        await using var first = await TestServer.StartAsync();
        using var folder = new TemporaryFolder();
        var second = new ChatServer(TestServer.DefaultOptions with { Port = first.Port }, Accounts.CsvUserStore.Open(Path.Combine(folder.Path, "u.csv")));

        var error = Assert.Throws<System.Net.Sockets.SocketException>(second.Start);

        Assert.Equal(System.Net.Sockets.SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }

    [Fact]
    public void DefaultOptions_AreTheProtocolsAndTheOriginalProgramsRules()
    {
        var options = new ChatServerOptions();

        Assert.Equal((4400, 50, 10), (options.Port, options.MaxClients, options.MaxPendingPerAddress));
        Assert.Equal((TimeSpan.FromMinutes(30), 2), (options.IdleTimeout, options.MinMessages));
        Assert.Equal((65536, 4096, TimeSpan.FromSeconds(10)), (options.MaxFrameBytes, options.MaxPreAuthFrameBytes, options.AuthTimeout));
        Assert.Equal((3, 5, 20, 10.0), (options.MaxProtocolErrors, options.MaxLoginFailuresPerConnection, options.FloodBurst, options.FloodRate));
        Assert.Equal((1024L * 1024, 1000, TimeSpan.FromSeconds(10)), (options.SendQueueBytes, options.SendQueueFrames, options.WriteTimeout));
        Assert.Equal((256 * 1024, 64.0 * 1024), (options.FloodBytesBurst, options.FloodBytesRate));
        Assert.Equal((20, 5), (options.MaxSessionsPerAddress, options.EffectiveReservedSlots));
        Assert.Equal((512L * 1024, 500), (options.EffectiveSendQueueSoftBytes, options.EffectiveSendQueueSoftFrames));
        Assert.Equal(600_000, options.HashIterations);
        Assert.Equal(10, options.SignupsPerAddressPerMinute);
    }
}
