using System.Globalization;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Tests;

/// <summary>Message ids: "m" and a version 7 UUID in Crockford base 32, unique, sorting by time as text.</summary>
[Trait("Category", "Unit")]
public sealed class MessageIdsTests
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>The 128 bits an id spells, as (high, low).</summary>
    private static (ulong High, ulong Low) Bits(string id)
    {
        UInt128 value = 0;
        foreach (var c in id.AsSpan(1))
        {
            value = (value << 5) | (uint)Alphabet.IndexOf(c, StringComparison.Ordinal);
        }

        return ((ulong)(value >> 64), (ulong)value);
    }

    [Fact]
    public void Ids_AreWellFormedVersion7Uuids_WithTheTimeTheyWereMadeAt()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = Enumerable.Range(0, 1000).Select(_ => MessageIds.Next()).ToList();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.All(ids, id =>
        {
            Assert.Equal(MessageIds.Length, id.Length);
            Assert.True(MessageIds.IsWellFormed(id), id);
            var (high, low) = Bits(id);
            Assert.Equal(7UL, (high >> 12) & 0xF);
            Assert.Equal(2UL, low >> 62);
            var milliseconds = (long)(high >> 16);
            Assert.InRange(milliseconds, before, after);
        });
    }

    [Fact]
    public void Ids_AreUnique_AcrossThreads_AndTheirRandomBitsDiffer()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 5000; i++)
            {
                ids.Add(MessageIds.Next());
            }
        });

        Assert.Equal(40_000, ids.Distinct(StringComparer.Ordinal).Count());

        // 74 random bits each: the low halves of so many ids never repeat, whatever the clock did.
        Assert.Equal(40_000, ids.Select(id => Bits(id).Low).Distinct().Count());
    }

    [Fact]
    public void IdsMadeInALaterMillisecond_SortAfter_AsText()
    {
        var first = MessageIds.Next();
        var started = DateTimeOffset.UtcNow;
        SpinWait.SpinUntil(() => DateTimeOffset.UtcNow > started.AddMilliseconds(2), TimeSpan.FromSeconds(5));
        var second = MessageIds.Next();

        Assert.True(string.CompareOrdinal(first, second) < 0, string.Create(CultureInfo.InvariantCulture, $"{first} !< {second}"));
    }
}
