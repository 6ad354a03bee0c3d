using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Cluster.Redis;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// Accounts, the login throttle and the signup budget of a cluster (docs/CLUSTER.md), shared by its
/// nodes through a real redis-server: two nodes here are two servers on one Redis and one key prefix.
/// </summary>
public sealed class ClusterAccountTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture);

    [Theory]
    [RedisStore]
    public async Task SignupsOfOneName_OnTwoNodesAtOnce_HaveExactlyOneWinner(StoreKind kind)
    {
        await using var cluster = await TwoNodesAsync(kind, o => o with { MaxPendingPerAddress = 100 });
        var names = Enumerable.Range(0, 20).Select(i => $"racer{i}").ToList();

        // Each name signed up on both nodes at the same moment, over separate connections.
        var outcomes = await Task.WhenAll(names.SelectMany(name => new[] { cluster.A, cluster.B }.Select(async node =>
        {
            await using var client = await ChatClient.ConnectAsync("127.0.0.1", node.Port);
            try
            {
                await client.SignUpAsync(name, TestServer.Password);
                return (name, Code: "ok");
            }
            catch (ChatClientException ex)
            {
                return (name, ex.Code);
            }
        })));

        foreach (var name in names)
        {
            var codes = outcomes.Where(o => o.name == name).Select(o => o.Code).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["ok", ErrorCodes.UserExists], codes);
        }

        Assert.Equal(names.Count, cluster.A.Store.Count);
    }

    [Theory]
    [RedisStore]
    public async Task TheSameName_AddedThroughTwoConnectionsAtOnce_IsAddedOnce_AndKeepsTheWinnersRecord(StoreKind kind)
    {
        await using var cluster = await TwoNodesAsync(kind);
        var (first, second) = ((RedisUserStore)cluster.A.Store, (RedisUserStore)cluster.B.Store);
        for (var round = 0; round < 50; round++)
        {
            var name = $"user{round}";
            var added = await Task.WhenAll(first.TryAddAsync(name, $"record-a-{round}"), second.TryAddAsync(name.ToUpperInvariant(), $"record-b-{round}"));

            Assert.Single(added, true);
            var winner = added[0] ? $"record-a-{round}" : $"record-b-{round}";
            Assert.Equal(winner, first.Find(name)!.HashRecord);
            Assert.Equal(winner, second.Find(name)!.HashRecord);
        }
    }

    [RedisFact]
    public async Task ALargeImport_KeepsEachCallWithinItsBound_AndAddsEveryAccount()
    {
        const int Accounts = 60_000;
        await using var redis = await RedisServer.StartAsync();
        var prefix = $"t{Guid.NewGuid():N}:";
        await using var store = await RedisMessageStore.ConnectAsync(redis.Configuration, new MessageStoreSettings(), prefix);
        var users = RedisUserStore.Over(store);
        var records = Enumerable.Range(0, Accounts).Select(i => new UserRecord($"imported{i}", $"record-{i}")).ToList();

        // All at once, the last calls would wait behind the others for longer than their 2 s.
        var added = await users.TryAddManyAsync(records);

        Assert.Equal(Accounts, added.Count);
        Assert.Equal(Accounts, await store.Database.SetLengthAsync(prefix + "users"));
    }

    [Theory]
    [RedisStore]
    public async Task AUserWhoSignsUpOnNodeA_LogsInOnNodeB_AsSpelledAtSignup(StoreKind kind)
    {
        await using var cluster = await TwoNodesAsync(kind);
        Assert.Null(cluster.B.Store.Find("Alice"));
        await using (var signup = await ChatClient.ConnectAsync("127.0.0.1", cluster.A.Port))
        {
            await signup.SignUpAsync("Alice", TestServer.Password);
        }

        var onB = await cluster.B.ConnectAsync();
        var welcome = await onB.LoginAsync("alice", TestServer.Password);
        var wrong = await Assert.ThrowsAsync<ChatClientException>(async () => await (await cluster.B.ConnectAsync()).LoginAsync("alice", "not the password"));

        Assert.Equal("Alice", welcome.UserName);
        Assert.Equal(ErrorCodes.InvalidCredentials, wrong.Code);
    }

    [Theory]
    [RedisStore]
    public async Task FailedLoginsOnNodeA_ThrottleNodeB_WithTheSameDoublingDelays(StoreKind kind)
    {
        var clock = new FakeTimeProvider(Start);
        await using var cluster = await TwoNodesAsync(kind, o => o with { TimeProvider = clock, MaxLoginFailuresPerConnection = 100, AuthTimeout = TimeSpan.FromDays(1) });
        var onA = await cluster.A.ConnectAsync();
        var onB = await cluster.B.ConnectAsync();
        await onA.SignUpAsync("alice", TestServer.Password);

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            Assert.Equal(ErrorCodes.InvalidCredentials, (await Assert.ThrowsAsync<ChatClientException>(() => onA.LoginAsync("alice", "wrong password"))).Code);
        }

        var first = await Assert.ThrowsAsync<ChatClientException>(() => onB.LoginAsync("alice", TestServer.Password));
        clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<ChatClientException>(() => onB.LoginAsync("alice", "wrong password"));
        var second = await Assert.ThrowsAsync<ChatClientException>(() => onA.LoginAsync("alice", TestServer.Password));
        clock.Advance(TimeSpan.FromSeconds(2));
        var welcome = await onB.LoginAsync("alice", TestServer.Password);

        Assert.Equal((ErrorCodes.Throttled, TimeSpan.FromSeconds(1)), (first.Code, first.RetryAfter));
        Assert.Equal((ErrorCodes.Throttled, TimeSpan.FromSeconds(2)), (second.Code, second.RetryAfter));
        Assert.Equal("alice", welcome.UserName);
    }

    [Theory]
    [RedisStore]
    public async Task ManyWrongLoginsAtOnce_OverTwoNodes_CannotAllSlipPastTheThrottle(StoreKind kind)
    {
        await using var cluster = await TwoNodesAsync(kind, o => o with { MaxPendingPerAddress = 20 });
        await (await cluster.A.ConnectAsync()).SignUpAsync("alice", TestServer.Password);
        var guessers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => (i % 2 == 0 ? cluster.A : cluster.B).ConnectAsync()));

        var answers = await Task.WhenAll(guessers.Select(async (g, i) =>
            (await Assert.ThrowsAsync<ChatClientException>(() => g.LoginAsync("alice", $"guess {i}"))).Code));

        Assert.True(answers.Count(a => a == ErrorCodes.InvalidCredentials) <= 5, $"more than 5 guesses were checked: {string.Join(", ", answers)}");
        Assert.All(answers, a => Assert.Contains(a, new[] { ErrorCodes.InvalidCredentials, ErrorCodes.Throttled }));
    }

    [Theory]
    [RedisStore]
    public async Task TheSignupBudget_IsSharedByTheNodes_AndGivenBackForATakenName(StoreKind kind)
    {
        var clock = new FakeTimeProvider(Start);
        await using var cluster = await TwoNodesAsync(kind, o => o with { TimeProvider = clock, SignupsPerAddressPerMinute = 2, AuthTimeout = TimeSpan.FromDays(1) });
        var onA = await cluster.A.ConnectAsync();
        var onB = await cluster.B.ConnectAsync();
        await onA.SignUpAsync("alice", TestServer.Password);
        clock.Advance(TimeSpan.FromSeconds(20));
        await onB.SignUpAsync("bob", TestServer.Password);

        var third = await Assert.ThrowsAsync<ChatClientException>(() => onA.SignUpAsync("carol", TestServer.Password));
        var taken = await Assert.ThrowsAsync<ChatClientException>(() => onB.SignUpAsync("alice", TestServer.Password));
        clock.Advance(TimeSpan.FromSeconds(40));
        await onB.SignUpAsync("carol", TestServer.Password);
        var fourth = await Assert.ThrowsAsync<ChatClientException>(() => onA.SignUpAsync("dave", TestServer.Password));

        Assert.Equal((ErrorCodes.Throttled, TimeSpan.FromSeconds(40)), (third.Code, third.RetryAfter));
        Assert.Equal(ErrorCodes.UserExists, taken.Code);
        Assert.Equal((ErrorCodes.Throttled, TimeSpan.FromSeconds(20)), (fourth.Code, fourth.RetryAfter));
        Assert.Equal(3, cluster.B.Store.Count);
    }

    [Theory]
    [RedisStore]
    public async Task WithRedisStopped_LoginsAndSignupsFailClosed_WithStoreUnavailable_NotAHang(StoreKind kind)
    {
        await using var cluster = await TwoNodesAsync(kind);
        await (await cluster.A.ConnectAsync()).SignUpAsync("alice", TestServer.Password);
        var client = await cluster.A.ConnectAsync();
        await cluster.Redis.StopAsync();

        // alice is cached on node A: the password alone must not let her in without the throttle.
        var login = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", TestServer.Password).WaitAsync(TestServer.Patience));
        var signup = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("bob", TestServer.Password).WaitAsync(TestServer.Patience));

        Assert.Equal(ErrorCodes.StoreUnavailable, login.Code);
        Assert.Contains("Accounts cannot be checked now", login.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.StoreUnavailable, signup.Code);

        // Where Redis is, and what its driver said, is the operator's business, not an anonymous client's.
        foreach (var message in new[] { login.Message, signup.Message })
        {
            Assert.DoesNotContain(cluster.Redis.Port.ToString(CultureInfo.InvariantCulture), message, StringComparison.Ordinal);
        }

        await cluster.Redis.RestartAsync();
    }

    [Theory]
    [RedisStore]
    public async Task AMessageToAUserThisNodeHasNotSeen_IsLookedUpInRedis_AndWithRedisAway_GetsStoreUnavailable(StoreKind kind)
    {
        await using var cluster = await TwoNodesAsync(kind);
        await (await cluster.B.ConnectAsync()).SignUpAsync("Bob", TestServer.Password);
        await (await cluster.B.ConnectAsync()).SignUpAsync("carol", TestServer.Password);
        var alice = await cluster.A.LoginAsync("alice");

        // Bob signed up on node B: node A reads his account from Redis and queues the message for him.
        var queued = await alice.SendAsync("bob", "hello");
        var unknown = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("nobody", "hello"));
        await cluster.Redis.StopAsync();

        // carol is in no cache: with Redis away that is not "no such user", and it is answered in bounded time.
        var away = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("carol", "hello").WaitAsync(TestServer.Patience));

        Assert.True(queued.Queued);
        Assert.Equal(ErrorCodes.NoSuchUser, unknown.Code);
        Assert.Equal(ErrorCodes.StoreUnavailable, away.Code);
        await cluster.Redis.RestartAsync();
    }

    private static async Task<Cluster> TwoNodesAsync(StoreKind kind, Func<ChatServerOptions, ChatServerOptions>? configure = null)
    {
        Assert.Equal(StoreKind.Redis, kind);
        var redis = await RedisServer.StartAsync();
        var prefix = $"t{Guid.NewGuid():N}:";
        TestServer? a = null;
        try
        {
            a = await TestServer.StartClusterNodeAsync(redis, prefix, configure);
            var b = await TestServer.StartClusterNodeAsync(redis, prefix, configure);
            return new Cluster(redis, a, b);
        }
        catch
        {
            if (a is not null)
            {
                await a.DisposeAsync();
            }

            await redis.DisposeAsync();
            throw;
        }
    }

    private sealed record Cluster(RedisServer Redis, TestServer A, TestServer B) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }
}
