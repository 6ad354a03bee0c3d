using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

public sealed class AccountTests
{
    [Fact]
    public async Task SignUp_ThenLogin_WelcomesWithClientIdAddressAndIdleRule()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();

        await client.SignUpAsync("Alice", TestServer.Password);
        var welcome = await client.LoginAsync("alice", TestServer.Password);

        Assert.Equal("Alice", welcome.UserName);
        Assert.StartsWith("c", welcome.ClientId);
        Assert.StartsWith("127.0.0.1:", welcome.Address);
        Assert.Equal(TimeSpan.FromMinutes(30), welcome.IdleTimeout);
        Assert.Equal(2, welcome.MinMessages);
    }

    [Theory]
    [InlineData("", ErrorCodes.InvalidUsername)]
    [InlineData("has space", ErrorCodes.InvalidUsername)]
    [InlineData("ünïcode", ErrorCodes.InvalidUsername)]
    [InlineData("a23456789012345678901234567890123", ErrorCodes.InvalidUsername)]
    public async Task SignUp_WithBadName_IsRefused(string name, string code)
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync(name, TestServer.Password));

        Assert.Equal(code, error.Code);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1025)]
    public async Task SignUp_WithPasswordOutsideLengths_GetsInvalidPassword(int length)
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("alice", new string('p', length)));

        Assert.Equal(ErrorCodes.InvalidPassword, error.Code);
    }

    [Fact]
    public async Task SignUp_OfTakenName_InAnyCase_GetsUserExists()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.SignUpAsync("alice", TestServer.Password);

        var error = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("ALICE", TestServer.Password));

        Assert.Equal(ErrorCodes.UserExists, error.Code);
    }

    [Fact]
    public async Task SignUp_WhenDisabled_GetsSignupDisabled_AndHelloOffersOnlyLogin()
    {
        await using var server = await TestServer.StartAsync(o => o with { AllowSignup = false });
        var client = await server.ConnectAsync();

        var error = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("alice", TestServer.Password));

        Assert.Equal(ErrorCodes.SignupDisabled, error.Code);
        Assert.Equal(["login"], client.Hello.Auth);
    }

    [Fact]
    public async Task WhoeverHasTheAnswer_FindsTheEvent_SignupLoginAndFailure()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();

        await client.SignUpAsync("alice", TestServer.Password);
        var signedUp = server.Events.OfType<SignedUpEvent>().Count();
        await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", "wrong password"));
        var failed = server.Events.OfType<LoginFailedEvent>().Count();
        await client.LoginAsync("alice", TestServer.Password);
        var loggedIn = server.Events.OfType<ClientLoggedInEvent>().Count();

        // Counted at once, without waiting: the server raises each event before it answers.
        Assert.Equal((1, 1, 1), (signedUp, failed, loggedIn));
    }

    [Fact]
    public async Task Login_UnknownUserAndWrongPassword_GetTheSameAnswer()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.SignUpAsync("alice", TestServer.Password);

        var wrong = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", "wrong password"));
        var unknown = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("nobody", "wrong password"));

        Assert.Equal(ErrorCodes.InvalidCredentials, wrong.Code);
        Assert.Equal(wrong.Code, unknown.Code);
        Assert.Equal(wrong.Message, unknown.Message);
        await server.WaitForEventAsync<LoginFailedEvent>(e => e.UserName == "nobody");
    }

    [Fact]
    public async Task FiveFailedLogins_OnOneConnection_CloseItWithTooManyErrors()
    {
        await using var server = await TestServer.StartAsync(o => o with { ThrottleFailures = 100 });
        var client = await server.ConnectAsync();

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            var error = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", "wrong password"));
            Assert.Equal(ErrorCodes.InvalidCredentials, error.Code);
        }

        await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", "wrong password"));
        await client.Completion.WaitAsync(TestServer.Patience);

        Assert.Equal(ErrorCodes.TooManyErrors, client.CloseReason!.Code);
    }

    [Fact]
    public async Task SecondLogin_ReplacesTheFirst_WhichGetsSessionReplaced()
    {
        await using var server = await TestServer.StartAsync();
        var first = await server.LoginAsync("alice");

        var second = await server.LoginAsync("alice");
        var notice = await first.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
        await first.Completion.WaitAsync(TestServer.Patience);
        var list = await second.ListAsync();

        Assert.Equal(NoticeCodes.SessionReplaced, ((ChatNotice)notice).Code);
        Assert.Equal(second.Session!.ClientId, Assert.Single(list).ClientId);
    }

    [Fact]
    public async Task Signups_PastSignupsPerAddressPerMinute_AreThrottled_OnlyThoseThatWouldHashCount_AndLoginsGoOn()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock, SignupsPerAddressPerMinute = 2, AuthTimeout = TimeSpan.FromDays(1) });
        var client = await server.ConnectAsync();
        await client.SignUpAsync("alice", TestServer.Password);
        clock.Advance(TimeSpan.FromSeconds(20));
        await client.SignUpAsync("bob", TestServer.Password);

        var third = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("carol", TestServer.Password));
        var taken = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("alice", TestServer.Password));
        var badName = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("has space", TestServer.Password));
        clock.Advance(TimeSpan.FromSeconds(40));
        await using var other = await server.ConnectAsync();
        var welcome = await other.LoginAsync("bob", TestServer.Password);
        await client.SignUpAsync("carol", TestServer.Password);
        var fourth = await Assert.ThrowsAsync<ChatClientException>(() => client.SignUpAsync("dave", TestServer.Password));

        // Alice's signup left the window after a minute, so carol's took its place; bob's is 20 s from leaving it.
        Assert.Equal((ErrorCodes.Throttled, TimeSpan.FromSeconds(40)), (third.Code, third.RetryAfter));
        Assert.Contains("2 new accounts a minute", third.Message);
        Assert.Equal((ErrorCodes.UserExists, ErrorCodes.InvalidUsername), (taken.Code, badName.Code));
        Assert.Equal("bob", welcome.UserName);
        Assert.Equal((ErrorCodes.Throttled, TimeSpan.FromSeconds(20)), (fourth.Code, fourth.RetryAfter));
        Assert.Equal(3, server.Store.Count);
    }

    [Fact]
    public async Task Throttling_AfterFiveFailures_DelaysDoubling_AndSuccessResetsTheUser()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock, MaxLoginFailuresPerConnection = 100, AuthTimeout = TimeSpan.FromDays(1) });
        var client = await server.ConnectAsync();
        await client.SignUpAsync("alice", TestServer.Password);

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            Assert.Equal(ErrorCodes.InvalidCredentials, (await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", "wrong password"))).Code);
        }

        var first = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", TestServer.Password));
        clock.Advance(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", "wrong password"));
        var second = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", TestServer.Password));
        clock.Advance(TimeSpan.FromSeconds(2));
        var welcome = await client.LoginAsync("alice", TestServer.Password);

        Assert.Equal(ErrorCodes.Throttled, first.Code);
        Assert.Equal(TimeSpan.FromSeconds(1), first.RetryAfter);
        Assert.Equal(ErrorCodes.Throttled, second.Code);
        Assert.Equal(TimeSpan.FromSeconds(2), second.RetryAfter);
        Assert.Equal("alice", welcome.UserName);
    }

    [Fact]
    public async Task Throttling_CountsFailuresPerAddress_AcrossUserNames_AndForgetsAfterTheWindow()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock, MaxLoginFailuresPerConnection = 100, AuthTimeout = TimeSpan.FromDays(1) });
        var client = await server.ConnectAsync();
        await client.SignUpAsync("alice", TestServer.Password);

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("guess" + attempt, "wrong password"));
        }

        var blocked = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("alice", TestServer.Password));
        clock.Advance(TimeSpan.FromMinutes(15));
        var welcome = await client.LoginAsync("alice", TestServer.Password);

        Assert.Equal(ErrorCodes.Throttled, blocked.Code);
        Assert.Equal("alice", welcome.UserName);
    }

    [Fact]
    public async Task ManyWrongLoginsAtOnce_CannotAllSlipPastTheThrottle()
    {
        await using var server = await TestServer.StartAsync(o => o with { MaxPendingPerAddress = 20 });
        var owner = await server.ConnectAsync();
        await owner.SignUpAsync("alice", TestServer.Password);
        var guessers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => server.ConnectAsync()));

        var answers = await Task.WhenAll(guessers.Select(async (g, i) =>
            (await Assert.ThrowsAsync<ChatClientException>(() => g.LoginAsync("alice", $"guess {i}"))).Code));

        Assert.True(answers.Count(a => a == ErrorCodes.InvalidCredentials) <= 5, $"more than 5 guesses were checked: {string.Join(", ", answers)}");
        Assert.All(answers, a => Assert.Contains(a, new[] { ErrorCodes.InvalidCredentials, ErrorCodes.Throttled }));
    }

    [Fact]
    public async Task FiftyParallelSignups_ThenARestart_AllFiftyLogIn()
    {
        using var folder = new TemporaryFolder();
        var names = Enumerable.Range(1, 50).Select(i => $"user{i:00}").ToList();
        await using (var first = await TestServer.StartAsync(o => o with { MaxClients = 60, MaxPendingPerAddress = 60, FloodBurst = 100 }, folder: folder))
        {
            await Task.WhenAll(names.Select(async name =>
            {
                var client = await first.ConnectAsync();
                await client.SignUpAsync(name, TestServer.Password + name);
            }));
        }

        await using var second = await TestServer.StartAsync(o => o with { MaxClients = 60, MaxPendingPerAddress = 60 }, folder: folder);
        var welcomes = await Task.WhenAll(names.Select(async name =>
        {
            var client = await second.ConnectAsync();
            return await client.LoginAsync(name, TestServer.Password + name);
        }));

        Assert.Equal(names, welcomes.Select(w => w.UserName).Order());
        Assert.Equal(50, second.Store.Count);
    }

    [Fact]
    public async Task TheStoreFile_NeverContainsAPassword()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        const string secret = "s3cret-Pässword-🦊";

        await client.SignUpAsync("alice", secret);
        await client.LoginAsync("alice", secret);
        var text = await File.ReadAllTextAsync(Path.Combine(server.Folder.Path, "users.csv"));

        Assert.DoesNotContain(secret, text);
        Assert.StartsWith("alice,pbkdf2-sha256$1000$", text);
    }

    [Fact]
    public async Task Login_WithFewerIterationsThanTheSetting_RehashesTheRecord()
    {
        using var folder = new TemporaryFolder();
        var store = CsvUserStore.Open(Path.Combine(folder.Path, "users.csv"));
        await store.TryAddAsync("alice", PasswordHasher.Hash(TestServer.Password, 500));
        await using var server = await TestServer.StartAsync(folder: folder);
        var client = await server.ConnectAsync();

        await client.LoginAsync("alice", TestServer.Password);
        Assert.True(PasswordHasher.TryParse(server.Store.Find("alice")!.HashRecord, out var iterations, out _, out _));

        Assert.Equal(TestServer.TestIterations, iterations);
        Assert.Contains("$1000$", await File.ReadAllTextAsync(Path.Combine(folder.Path, "users.csv")));
    }
}
