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

    [Fact]
    public void TryParse_ReadsFormattedTimes_AsTheGeneralParserDoes()
    {
        // A fixed seed, so that a failure names a time that fails again.
        var random = new Random(27);
        var formatted = Enumerable.Range(0, 10_000)
            .Select(_ => WireTime.Format(new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), TimeSpan.Zero)))
            .Concat(["2026-11-27T05:30:16.123Z", "2024-02-29T23:59:59.999Z", "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"]);

        // Right shape, but no such time (or not all digits): the fast path declines, the general parser decides.
        string[] declined =
        [
            "2026-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-11-27T24:00:00.000Z", "2026-11-27T05:60:16.123Z",
            "2026-11-27T05:30:60.123Z", "0000-01-01T00:00:00.000Z", "2026-11-27T05:30:16.12xZ", "2026-1-27T05:30:16.123Z ",
            "+026-11-27T05:30:16.123Z", "2026-11-27T05:30:16.123+", "2026-11-27 05:30:16.123Z", "2026-11-27T05:30:16.1234Z",
        ];

        Assert.All(formatted, text =>
        {
            Assert.True(WireTime.TryParseFormatted(text, out var fast), text);
            Assert.True(DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var general), text);
            Assert.Equal((general.UtcTicks, general.Offset), (fast.UtcTicks, fast.Offset));
        });
        Assert.All(declined, text => Assert.False(WireTime.TryParseFormatted(text, out _), text));
    }
}
