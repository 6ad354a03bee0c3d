using System.Buffers;
using System.Buffers.Binary;

namespace PeerChat.Core.Chat;

/// <summary>
/// Message ids that are unique for ever, across restarts and across the servers of a cluster: "m"
/// and a version 7 UUID (48 bits of milliseconds, 74 random bits) in 26 characters of Crockford
/// base 32, so that ids sort by time as text. Order within a conversation is the store's, not the id's.
/// </summary>
public static class MessageIds
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
    private static readonly SearchValues<char> AlphabetValues = SearchValues.Create(Alphabet);

    /// <summary>The length of every id this class makes.</summary>
    public const int Length = 27;

    public static string Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7().TryWriteBytes(bytes, bigEndian: true, out _);
        var high = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        var low = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        return string.Create(Length, (high, low), static (chars, value) =>
        {
            chars[0] = 'm';
            // 128 bits as 26 digits of 5 bits (130 bits; the first digit carries the top 3).
            var (hi, lo) = value;
            for (var i = Length - 1; i >= 1; i--)
            {
                chars[i] = Alphabet[(int)(lo & 31)];
                lo = (lo >> 5) | (hi << 59);
                hi >>= 5;
            }
        });
    }

    /// <summary>Whether <paramref name="id"/> has the shape of an id (any server's: the old "m41" ones too); the store still decides whether it exists.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: >= 2 and <= 64 } && id[0] == 'm' && id.AsSpan(1).IndexOfAnyExcept(AlphabetValues) < 0;
}
