using System.Globalization;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Tests;

public sealed class MessageIdsTests
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    [Fact]
    public async Task Ids_AreVersion7Uuids_OfTheirMillisecond_AndUniqueAcrossThreads()
    {
        var before = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // More ids per thread than one block of random bits holds, so that blocks are refilled.
        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Enumerable.Range(0, 3000).Select(_ => MessageIds.Next()).ToList())));
        var after = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = perThread.SelectMany(list => list).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var id in ids)
        {
            Assert.True(id.Length == MessageIds.Length && MessageIds.IsWellFormed(id), id);
            var value = Decode(id);
            var high = (ulong)(value >> 64);
            var low = (ulong)value;
            Assert.True((high >> 16) >= before && (high >> 16) <= after, $"{id}: time {high >> 16} not in [{before}, {after}]");
            Assert.Equal(7UL, (high >> 12) & 0xF);
            Assert.Equal(2UL, low >> 62);
        }

        // Random bits differ between ids of one millisecond, not only the time.
        Assert.True(ids.Select(id => (ulong)Decode(id) & 0x3FFF_FFFF_FFFF_FFFFUL).Distinct().Count() == ids.Count);
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

    private static UInt128 Decode(string id)
    {
        UInt128 value = 0;
        foreach (var c in id.AsSpan(1))
        {
            value = (value << 5) | (uint)Alphabet.IndexOf(c);
        }

        return value;
    }
}
