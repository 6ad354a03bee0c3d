using PeerChat.Core.Irc;

namespace PeerChat.Core.Tests.Irc;

/// <summary>Tag values escaped as IRCv3 message-tags says, server-time as ISO 8601 UTC with milliseconds, batch references.</summary>
public sealed class IrcTagsAndTimeTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a;b", "a\\:b")]
    [InlineData("a b", "a\\sb")]
    [InlineData("a\\b", "a\\\\b")]
    [InlineData("line\r\nnext", "line\\r\\nnext")]
    [InlineData("; \\\r\n", "\\:\\s\\\\\\r\\n")]
    [InlineData("ünïcode=ok,", "ünïcode=ok,")]
    public void TagValues_AreEscaped(string value, string escaped) =>
        Assert.Equal(escaped, IrcTags.EscapeValue(value));

    [Fact]
    public void TagPrefix_JoinsTagsWithSemicolons_EscapesValues_AndEndsWithASpace()
    {
        Assert.Equal("@time=2026-11-01T12:00:00.000Z;msgid=m1;batch=b1 ", IrcTags.Prefix(("time", "2026-11-01T12:00:00.000Z"), ("msgid", "m1"), ("batch", "b1")));
        Assert.Equal("@+reply=a\\sb;flag ", IrcTags.Prefix(("+reply", "a b"), ("batch", null), ("flag", "")));
        Assert.Equal(string.Empty, IrcTags.Prefix());
    }

    [Fact]
    public void ServerTime_IsUtc_ToTheMillisecond_Truncated()
    {
        var time = new DateTimeOffset(2026, 11, 1, 14, 3, 4, TimeSpan.FromHours(2)).AddTicks(1_239_999);
        Assert.Equal("2026-11-01T12:03:04.123Z", IrcTime.ToServerTime(time));
        Assert.Equal("2026-01-02T03:04:05.000Z", IrcTime.ToServerTime(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
    }

    [Theory]
    [InlineData("2026-11-01T12:03:04.123Z", "2026-11-01T12:03:04.123Z")]
    [InlineData("2026-11-01T12:03:04Z", "2026-11-01T12:03:04.000Z")]
    [InlineData("2026-11-01T12:03:04.1239999Z", "2026-11-01T12:03:04.123Z")]
    [InlineData("2026-11-01T14:03:04.500+02:00", "2026-11-01T12:03:04.500Z")]
    public void ClientTimestamps_AreRead_AsUtcMilliseconds(string text, string expected)
    {
        Assert.True(IrcTime.TryParse(text, out var time));
        Assert.Equal(expected, IrcTime.ToServerTime(time));
        Assert.Equal(TimeSpan.Zero, time.Offset);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2026-11-01")]
    [InlineData("2026-13-01T12:00:00.000Z")]
    [InlineData("1700000000")]
    [InlineData("2026-11-01 12:00:00Z")]
    public void BadTimestamps_AreRefused(string text) => Assert.False(IrcTime.TryParse(text, out _));

    [Fact]
    public void BatchReferences_AreAlphanumeric_AndNeverRepeatOnAConnection()
    {
        var batches = new IrcBatches();
        var references = Enumerable.Range(0, 1000).Select(_ => batches.NextReference()).ToList();
        Assert.Equal(references.Count, references.Distinct(StringComparer.Ordinal).Count());
        Assert.All(references, r => Assert.True(r.All(char.IsAsciiLetterOrDigit), r));
        Assert.Equal(":irc.test BATCH +b1 chathistory #ops", IrcBatches.Start("irc.test", "b1", "chathistory", "#ops"));
        Assert.Equal(":irc.test BATCH -b1", IrcBatches.End("irc.test", "b1"));
    }
}
