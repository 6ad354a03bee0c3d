using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>The backoff of a session that logs in again after a drop, and the drops it stays away after.</summary>
public sealed class ReconnectTests
{
    [Fact]
    public void DelayBounds_DoubleFromTheFirstDelay_UpToTheCap_WithoutOverflow()
    {
        var policy = new ReconnectPolicy { FirstDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(60) };

        var bounds = Enumerable.Range(1, 8).Select(a => policy.DelayBound(a).TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60], bounds);
        Assert.Equal(TimeSpan.FromSeconds(60), policy.DelayBound(int.MaxValue));
    }

    [Fact]
    public void Delays_AreJitteredOverTheWholeRangeBelowTheirBound()
    {
        var policy = new ReconnectPolicy { Random = new Random(15) };

        var third = Enumerable.Range(0, 1000).Select(_ => policy.NextDelay(3)).ToList();
        var capped = Enumerable.Range(0, 1000).Select(_ => policy.NextDelay(40)).ToList();

        Assert.All(third, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(4)));
        Assert.True(third.Min() < TimeSpan.FromSeconds(0.2) && third.Max() > TimeSpan.FromSeconds(3.8), $"full jitter spreads over [0, 4 s]: {third.Min()}..{third.Max()}");
        Assert.True(third.Distinct().Count() > 990, "each client draws its own delay");
        Assert.All(capped, d => Assert.InRange(d, TimeSpan.Zero, TimeSpan.FromSeconds(60)));
        Assert.True(capped.Max() > TimeSpan.FromSeconds(55), "a capped delay still uses the whole range");
    }

    [Fact]
    public void AThrottledServer_IsWaitedForAtLeastAsLongAsItAsks()
    {
        var policy = new ReconnectPolicy { Random = new Random(15) };

        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(policy.NextDelay(1, TimeSpan.FromSeconds(5)) >= TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData(NoticeCodes.IdleTimeout, true)]
    [InlineData(NoticeCodes.ServerShutdown, true)]
    [InlineData(NoticeCodes.SlowConsumer, true)]
    [InlineData(ErrorCodes.ConnectionClosed, true)]
    [InlineData(ErrorCodes.Unreachable, true)]
    [InlineData(ErrorCodes.Throttled, true)]
    [InlineData(ErrorCodes.ServerFull, true)]
    [InlineData(NoticeCodes.SessionReplaced, false)]
    [InlineData(ErrorCodes.InvalidCredentials, false)]
    [InlineData(ErrorCodes.CertificateRejected, false)]
    public void Reconnects_AfterDropsAndPassingFailures_NotAfterATakeoverOrARefusal(string reason, bool expected) =>
        Assert.Equal(expected, ReconnectPolicy.Reconnects(reason));

    [Fact]
    public void AnInvalidPolicy_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectPolicy { MaxDelay = TimeSpan.FromMilliseconds(10) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReconnectPolicy { MaxAttempts = 0 }.Validate());
    }

    [Fact]
    public async Task AnIdleDrop_WaitsTheJitteredDelayOnThePolicysClock_ThenLogsInAgain_AndTheEventsFlowOn()
    {
        var serverClock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = serverClock });
        var backoffClock = new TimerWatchingClock();
        var policy = new ReconnectPolicy { TimeProvider = backoffClock, Random = new Random(15) };
        var expectedDelay = new ReconnectPolicy { Random = new Random(15) }.NextDelay(1);
        var logins = 0;
        await using var bot = new ReconnectingChatClient(await server.LoginAsync("bot"), _ => { logins++; return server.LoginAsync("bot"); }, policy);
        var reconnected = new TaskCompletionSource<ReconnectedArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        bot.Reconnected += args => reconnected.TrySetResult(args);

        serverClock.Advance(TimeSpan.FromMinutes(30));
        var drop = await bot.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        var delay = await backoffClock.TimerCreated.Task.WaitAsync(TestServer.Patience);
        var (stateWhileWaiting, loginsWhileWaiting) = (bot.State, logins);
        backoffClock.Advance(delay);
        var back = await reconnected.Task.WaitAsync(TestServer.Patience);
        var notice = await bot.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        var asker = await server.LoginAsync("asker");
        await asker.SendAsync("bot", "welcome back", route: RoutePreference.Relay);
        var message = await bot.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(NoticeCodes.IdleTimeout, ((ChatNotice)drop).Code);
        // Task.Delay keeps whole milliseconds.
        Assert.InRange(delay, expectedDelay - TimeSpan.FromMilliseconds(1), expectedDelay);
        Assert.Equal((ConnectionState.Reconnecting, 0), (stateWhileWaiting, loginsWhileWaiting));
        Assert.Equal((1, NoticeCodes.IdleTimeout), (back.Attempts, back.Reason.Code));
        Assert.Equal(ErrorCodes.Reconnected, ((ChatNotice)notice).Code);
        Assert.Equal("welcome back", ((ChatMessage)message).Text);
        Assert.Equal((ConnectionState.Open, 1, 1), (bot.State, bot.ReconnectCount, logins));
        Assert.Equal(NoticeCodes.IdleTimeout, bot.LastDisconnectReason!.Code);
    }

    [Fact]
    public async Task SessionReplaced_ClosesForGood_WithoutASingleAttempt()
    {
        await using var server = await TestServer.StartAsync();
        var logins = 0;
        await using var bot = new ReconnectingChatClient(await server.LoginAsync("twin"), _ => { logins++; return server.LoginAsync("twin"); }, new ReconnectPolicy());

        await server.LoginAsync("twin");
        await bot.Completion.WaitAsync(TestServer.Patience);

        Assert.Equal(ConnectionState.Closed, bot.State);
        Assert.Equal(NoticeCodes.SessionReplaced, bot.CloseReason!.Code);
        Assert.Equal((0, 0), (logins, bot.ReconnectCount));
    }

    [Fact]
    public async Task ARefusedLogin_StopsTheRetries_AndSaysWhyInTheEvents()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        var policy = new ReconnectPolicy { FirstDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1) };
        await using var bot = new ReconnectingChatClient(
            await server.LoginAsync("bot"),
            _ => throw new ChatClientException(ErrorCodes.InvalidCredentials, "Invalid user name or password."),
            policy);

        clock.Advance(TimeSpan.FromMinutes(30));
        await bot.Completion.WaitAsync(TestServer.Patience);
        var events = new List<ChatEvent>();
        while (bot.Events.TryRead(out var e))
        {
            events.Add(e);
        }

        Assert.Equal(ConnectionState.Closed, bot.State);
        Assert.Equal(ErrorCodes.InvalidCredentials, bot.CloseReason!.Code);
        Assert.Equal([NoticeCodes.IdleTimeout, ErrorCodes.InvalidCredentials], events.OfType<ChatNotice>().Select(n => n.Code));
        Assert.Equal(0, bot.ReconnectCount);
    }

    [Fact]
    public async Task ALostNetwork_WithoutAWordFromTheServer_IsComeBackFrom()
    {
        await using var server = await TestServer.StartAsync();
        await using var network = new CuttableNetwork(server.Port);
        var policy = new ReconnectPolicy { FirstDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) };
        await using var bot = new ReconnectingChatClient(await network.LoginAsync(server, "roamer"), _ => network.LoginAsync(server, "roamer"), policy);
        var reconnected = new TaskCompletionSource<ReconnectedArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        bot.Reconnected += args => reconnected.TrySetResult(args);

        network.Cut();
        var back = await reconnected.Task.WaitAsync(TestServer.Patience);
        var asker = await server.LoginAsync("asker");
        await asker.SendAsync("roamer", "you were gone", route: RoutePreference.Relay);
        var message = await ReadUntilAsync<ChatMessage>(bot.Events);

        Assert.Equal(ErrorCodes.ConnectionClosed, back.Reason.Code);
        Assert.Equal("you were gone", message.Text);
        Assert.Equal((ConnectionState.Open, 1), (bot.State, bot.ReconnectCount));
    }

    [Fact]
    public async Task ReconnectAttempts_Spent_ClosesTheSession_SayingSo()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock });
        var tries = 0;
        var policy = new ReconnectPolicy { FirstDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = 3 };
        await using var bot = new ReconnectingChatClient(
            await server.LoginAsync("bot"),
            _ => { tries++; throw new ChatClientException(ErrorCodes.Unreachable, "Cannot reach a PeerChat server."); },
            policy);

        clock.Advance(TimeSpan.FromMinutes(30));
        await bot.Completion.WaitAsync(TestServer.Patience);

        Assert.Equal(3, tries);
        Assert.Equal(ConnectionState.Closed, bot.State);
        Assert.Contains("Gave up reconnecting after 3 attempt(s)", bot.CloseReason!.Message);
    }

    private static async Task<T> ReadUntilAsync<T>(System.Threading.Channels.ChannelReader<ChatEvent> events)
        where T : ChatEvent
    {
        for (var i = 0; i < 100; i++)
        {
            if (await events.ReadAsync().AsTask().WaitAsync(TestServer.Patience) is T wanted)
            {
                return wanted;
            }
        }

        throw new InvalidOperationException($"No {typeof(T).Name} among the first 100 events.");
    }

    /// <summary>
    /// A relay on 127.0.0.1 between clients and the server whose connections can all be cut at once,
    /// as a lost network does: neither side says a word, the sockets just end.
    /// </summary>
    private sealed class CuttableNetwork : IAsyncDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener = new(System.Net.IPAddress.Loopback, 0);
        private readonly List<System.Net.Sockets.TcpClient> _open = [];
        private readonly int _serverPort;
        private readonly Task _accepting;

        public CuttableNetwork(int serverPort)
        {
            _serverPort = serverPort;
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;

        public async Task<ChatClient> LoginAsync(TestServer server, string userName)
        {
            var client = await ChatClient.ConnectAsync("127.0.0.1", Port, new ChatClientOptions { EnableDirect = false });
            if (server.Store.Find(userName) is null)
            {
                await client.SignUpAsync(userName, TestServer.Password);
            }

            await client.LoginAsync(userName, TestServer.Password);
            return client;
        }

        public void Cut()
        {
            lock (_open)
            {
                foreach (var socket in _open)
                {
                    // A reset, not a polite close.
                    try
                    {
                        socket.Client?.LingerState = new System.Net.Sockets.LingerOption(true, 0);
                    }
                    catch (ObjectDisposedException)
                    {
                        // Its pair already closed it: nothing left to cut.
                    }

                    socket.Dispose();
                }

                _open.Clear();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            Cut();
            await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                var inside = await _listener.AcceptTcpClientAsync();
                var outside = new System.Net.Sockets.TcpClient();
                await outside.ConnectAsync(System.Net.IPAddress.Loopback, _serverPort);
                lock (_open)
                {
                    _open.Add(inside);
                    _open.Add(outside);
                }

                _ = RelayAsync(inside, outside);
                _ = RelayAsync(outside, inside);
            }
        }

        // One direction of a relayed connection. Cutting it ends the copy with an IOException: the
        // point of the proxy, so caught here rather than left to fault unobserved.
        private static async Task RelayAsync(System.Net.Sockets.TcpClient from, System.Net.Sockets.TcpClient to)
        {
            try
            {
                await from.GetStream().CopyToAsync(to.GetStream());
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
            finally
            {
                to.Dispose();
            }
        }
    }

    /// <summary>A fake clock that tells when a timer is made on it, and for how long: the backoff's wait.</summary>
    private sealed class TimerWatchingClock : FakeTimeProvider
    {
        public TaskCompletionSource<TimeSpan> TimerCreated { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            TimerCreated.TrySetResult(dueTime);
            return timer;
        }
    }
}
