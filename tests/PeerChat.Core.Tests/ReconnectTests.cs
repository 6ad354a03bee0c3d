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
        var serverClock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z"));
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
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z"));
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
