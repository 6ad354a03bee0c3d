using System.Globalization;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// The login throttle must stop guessing without letting the guesser lock the owner out. Tests
/// need two address groups on one machine: the server listens dual-mode on IPv6Any, so 127.0.0.1
/// and ::1 reach it as two different addresses.
/// </summary>
public sealed class LoginThrottleTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task AGuesserWhoKeepsGuessing_FromOneAddress_NeverLocksTheOwnerOut_OfAnotherAddress()
    {
        var clock = new FakeTimeProvider(Start);
        await using var server = await StartDualModeAsync(clock);
        var attacker = await server.ConnectAsync();
        await attacker.SignUpAsync("alice", TestServer.Password);

        // Five wrong guesses, then one each time the block ends, for two hours of the server's clock:
        // on the old code the last of them kept alice blocked from everywhere.
        var checkedGuesses = 0;
        var throttled = 0;
        for (var round = 0; round < 200 && clock.GetUtcNow() - Start < TimeSpan.FromHours(2); round++)
        {
            var refusal = await Assert.ThrowsAsync<ChatClientException>(() => attacker.LoginAsync("alice", $"guess {round}"));
            if (refusal.Code == ErrorCodes.Throttled)
            {
                throttled++;
                clock.Advance(refusal.RetryAfter!.Value);
                continue;
            }

            Assert.Equal(ErrorCodes.InvalidCredentials, refusal.Code);
            checkedGuesses++;
            if (checkedGuesses >= 5)
            {
                // The owner, from an address that never failed, gets in at once with the right password.
                await using var owner = await ChatClient.ConnectAsync("::1", server.Port);
                var welcome = await owner.LoginAsync("alice", TestServer.Password);
                Assert.Equal("alice", welcome.UserName);
                Assert.StartsWith("[::1]:", welcome.Address);
            }
        }

        // The guesser is still held back: after the first five, one guess per block (delays of
        // 1, 2, 4 ... 512 s, then 600 s: 25 in two hours, where the old code let 41 through).
        Assert.True(throttled >= checkedGuesses - 5, $"{checkedGuesses} guesses checked, {throttled} throttled");
        Assert.InRange(checkedGuesses, 15, 30);
    }

    [Fact]
    public async Task TheUserWideCount_DelaysOnlyAddressesThatFailedForTheUser()
    {
        var clock = new FakeTimeProvider(Start);
        await using var server = await StartDualModeAsync(clock, o => o with { ThrottleFailures = 5, ThrottleUserFailures = 3 });
        var owner = await server.ConnectAsync();
        await owner.SignUpAsync("alice", TestServer.Password);
        await using var guesser = await ChatClient.ConnectAsync("::1", server.Port);

        // Three failures reach the user-wide limit, though not the five of one address.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Equal(ErrorCodes.InvalidCredentials, (await Assert.ThrowsAsync<ChatClientException>(() => guesser.LoginAsync("alice", $"guess {attempt}"))).Code);
        }

        var held = await Assert.ThrowsAsync<ChatClientException>(() => guesser.LoginAsync("alice", TestServer.Password));
        var welcome = await owner.LoginAsync("alice", TestServer.Password);

        Assert.Equal((ErrorCodes.Throttled, TimeSpan.FromSeconds(1)), (held.Code, held.RetryAfter));
        Assert.Equal("alice", welcome.UserName);
    }

    [Fact]
    public void RefusedAttemptsWithMadeUpNames_LeaveNothingBehind_AndInvalidNamesShareOneKey()
    {
        // The attack of issue 11's first finding, at the throttle: logins with made-up names of
        // 3,900 characters, first until the address is blocked, then on while it is.
        var throttle = new LoginThrottle(TestServer.DefaultOptions with { TimeProvider = new FakeTimeProvider(Start) });
        var random = new Random(11);
        string MadeUpName() => new string('x', 3_890) + random.Next().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

        for (var i = 0; i < TestServer.DefaultOptions.ThrottleFailures; i++)
        {
            Assert.True(throttle.TryBegin(MadeUpName(), "203.0.113.9", out _));
            throttle.End(MadeUpName(), "203.0.113.9", succeeded: false);
        }

        var refused = 0;
        for (var i = 0; i < 1_000; i++)
        {
            refused += throttle.TryBegin(MadeUpName(), "203.0.113.9", out _) ? 0 : 1;
        }

        Assert.Equal(1_000, refused);
        // The address, the one key of all invalid names, and their pair: not one per name.
        Assert.Equal(3, throttle.TrackedKeys);
    }

    [Fact]
    public void GuessingSpreadOverManyAddresses_IsHeldToAboutOneGuessPerFreshAddress()
    {
        var clock = new FakeTimeProvider(Start);
        var throttle = new LoginThrottle(TestServer.DefaultOptions with { TimeProvider = clock });
        var options = TestServer.DefaultOptions;
        var checkedGuesses = 0;

        // A hundred addresses guessing in turns, as fast as the throttle lets them, for half an hour.
        for (var round = 0; round < 1800; round++)
        {
            for (var host = 1; host <= 100; host++)
            {
                var address = "10.0.0." + host;
                if (throttle.TryBegin("alice", address, out _))
                {
                    checkedGuesses++;
                    throttle.End("alice", address, succeeded: false);
                }
            }

            clock.Advance(TimeSpan.FromSeconds(1));
        }

        // Without the user-wide count, each address would guess five times and then once per doubling
        // block: well over a thousand guesses. With it, past the first ThrottleUserFailures, an address
        // has one guess and then waits on alice's block until its failure leaves the window: one
        // guess per address per ThrottleWindow.
        Assert.InRange(checkedGuesses, 100, (2 * 100) + options.ThrottleUserFailures);
        Assert.True(throttle.TryBegin("alice", "192.0.2.1", out _), "an address that never failed must still be let in");
    }

    private static Task<TestServer> StartDualModeAsync(FakeTimeProvider clock, Func<ChatServerOptions, ChatServerOptions>? configure = null) =>
        TestServer.StartAsync(o =>
        {
            var options = o with
            {
                ListenAddress = IPAddress.IPv6Any,
                TimeProvider = clock,
                MaxLoginFailuresPerConnection = 1000,
                AuthTimeout = TimeSpan.FromDays(1),
                IdleTimeout = TimeSpan.FromDays(1),
            };
            return configure is null ? options : configure(options);
        });
}
