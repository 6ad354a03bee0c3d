using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// What an unauthenticated attacker can make the server write into its events: each event is
/// kept by the host until someone reads it, so it must stay small and harmless to show.
/// </summary>
public sealed class ServerEventSizeTests
{
    [Fact]
    public async Task FailedLogin_WithA3900CharNameFullOfEscapes_IsReportedShortEscapedAndMarked()
    {
        await using var server = await TestServer.StartAsync();
        using var attacker = server.ConnectRaw();
        await attacker.ReadFrameAsync("hello");
        var name = "\u001b]0;pwned\u0007\u001b[2K\r" + new string('x', 3900);

        await attacker.SendLineAsync(JsonSerializer.Serialize(new { type = "login", id = 1, user = name, password = "wrong password" }));
        (await attacker.ReadFrameAsync()).AssertError(ErrorCodes.InvalidCredentials);
        var failed = await server.WaitForEventAsync<LoginFailedEvent>();

        Assert.True(failed.UserName.Length <= 100, $"the event holds {failed.UserName.Length} chars of name");
        Assert.DoesNotContain(failed.UserName, c => char.IsControl(c));
        Assert.StartsWith($"<invalid name, {name.Length} chars: ␛]0;pwned␇␛[2K␍", failed.UserName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FailedLogin_WithAValidName_KeepsTheNameAsGiven()
    {
        await using var server = await TestServer.StartAsync();
        using var attacker = server.ConnectRaw();
        await attacker.ReadFrameAsync("hello");

        await attacker.SendLineAsync("""{"type":"login","id":1,"user":"No.Such_User-1","password":"wrong password"}""");
        (await attacker.ReadFrameAsync()).AssertError(ErrorCodes.InvalidCredentials);

        Assert.Equal("No.Such_User-1", (await server.WaitForEventAsync<LoginFailedEvent>()).UserName);
    }

    [Fact]
    public async Task ThrottledLogins_OfOneUserFromOneAddress_AreOneEventPerInterval_WithTheirCount()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(o => o with { TimeProvider = clock, MaxLoginFailuresPerConnection = 1000, AuthTimeout = TimeSpan.FromDays(1), FloodBurst = 1000 });
        using var attacker = server.ConnectRaw();
        await attacker.ReadFrameAsync("hello");

        // Five wrong passwords block the user; the forty after them are throttled without a check.
        var codes = new List<string?>();
        for (var attempt = 1; attempt <= 45; attempt++)
        {
            await attacker.SendLineAsync($$"""{"type":"login","id":{{attempt}},"user":"alice","password":"wrong password"}""");
            codes.Add((await attacker.ReadFrameAsync()).Code());
        }

        var throttledAtOnce = server.Events.OfType<LoginFailedEvent>().Where(e => e.Code == ErrorCodes.Throttled).ToList();
        clock.Advance(TimeSpan.FromMinutes(1));
        var summary = await server.WaitForEventAsync<LoginFailedEvent>(e => e.Code == ErrorCodes.Throttled && e.Attempts > 1);

        Assert.Equal(5, codes.Count(c => c == ErrorCodes.InvalidCredentials));
        Assert.Equal(40, codes.Count(c => c == ErrorCodes.Throttled));
        Assert.Equal(1, Assert.Single(throttledAtOnce).Attempts);
        Assert.Equal(39, summary.Attempts);
        Assert.Equal("alice", summary.UserName);
    }

    [Fact]
    public async Task ThrottledLogins_StillUncounted_AreReportedWhenTheServerStops()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        var server = await TestServer.StartAsync(o => o with { TimeProvider = clock, MaxLoginFailuresPerConnection = 1000, AuthTimeout = TimeSpan.FromDays(1), ThrottleFailures = 1 });
        using (var attacker = server.ConnectRaw())
        {
            await attacker.ReadFrameAsync("hello");
            for (var attempt = 1; attempt <= 4; attempt++)
            {
                await attacker.SendLineAsync($$"""{"type":"login","id":{{attempt}},"user":"bob","password":"wrong password"}""");
                await attacker.ReadFrameAsync();
            }
        }

        await server.DisposeAsync();

        var throttled = server.Events.OfType<LoginFailedEvent>().Where(e => e.Code == ErrorCodes.Throttled).Select(e => e.Attempts);
        Assert.Equal([1, 2], throttled);
    }
}
