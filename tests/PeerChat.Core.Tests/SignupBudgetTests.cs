using System.Globalization;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Server;

namespace PeerChat.Core.Tests;

/// <summary>The signup budget's bookkeeping; its effect on the wire is tested in AccountTests.</summary>
[Trait("Category", "Unit")]
public sealed class SignupBudgetTests
{
    [Fact]
    public void ASignupGivenBack_FreesItsOwnPlace_NotALaterOne()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-27T08:00:00Z", CultureInfo.InvariantCulture));
        var budget = new SignupBudget(new ChatServerOptions { SignupsPerAddressPerMinute = 2, TimeProvider = clock });
        var address = IPAddress.Loopback;

        Assert.True(budget.TryTake(address, out _, out var failed));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(budget.TryTake(address, out _, out _));
        budget.GiveBack(address, failed!);
        var third = budget.TryTake(address, out _, out _);
        var fourth = budget.TryTake(address, out var wait, out _);

        // Had the later place been freed instead, the wait would be 60 s from the first, not from the second.
        Assert.True(third);
        Assert.False(fourth);
        Assert.Equal(TimeSpan.FromSeconds(60), wait);
    }
}
