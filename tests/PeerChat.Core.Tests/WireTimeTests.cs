using PeerChat.Core.Protocol;

namespace PeerChat.Core.Tests;

public sealed class WireTimeTests
{
    [Fact]
    public void Format_WritesIsoUtcWithMilliseconds_AsTheCustomPatternDoes()
    {
        var edges = new[]
        {
            new DateTimeOffset(2026, 11, 27, 5, 30, 16, 123, TimeSpan.Zero),
            new DateTimeOffset(2024, 2, 29, 23, 59, 59, 999, TimeSpan.FromHours(-5)),
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, 7, TimeSpan.FromHours(14)).AddTicks(9_999),
            DateTimeOffset.MinValue,
            DateTimeOffset.MaxValue,
        };

        // A fixed seed, so that a failure names a time that fails again.
        var random = new Random(18);
        var times = edges.Concat(Enumerable.Range(0, 10_000).Select(_ => new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero)));

        Assert.Equal("2026-11-27T05:30:16.123Z", WireTime.Format(edges[0]));
        Assert.Equal("2024-03-01T04:59:59.999Z", WireTime.Format(edges[1]));
        Assert.Equal("0001-01-01T00:00:00.000Z", WireTime.Format(edges[3]));
        Assert.All(times, time => Assert.Equal(WireTime.FormatByPattern(time), WireTime.Format(time)));
    }
}
