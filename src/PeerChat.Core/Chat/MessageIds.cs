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

    // Random bits for the ids made on this thread, fetched a block at a time: Guid.CreateVersion7
    // asked the kernel for 16 random bytes (a system call) for every message.
    private const int RandomBlockBytes = 1024;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_randomUsed;

    public static string Next()
    {
        // The fields of a version 7 UUID (RFC 9562), as Guid.CreateVersion7 lays them out:
        // milliseconds (48 bits), version 7, 12 random bits; variant 0b10, 62 random bits.
        var random = t_random ??= new byte[RandomBlockBytes];
        if (t_randomUsed == 0 || t_randomUsed + 16 > RandomBlockBytes)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
            t_randomUsed = 0;
        }

        var randomA = BinaryPrimitives.ReadUInt64LittleEndian(random.AsSpan(t_randomUsed));
        var randomB = BinaryPrimitives.ReadUInt64LittleEndian(random.AsSpan(t_randomUsed + 8));
        t_randomUsed += 16;
        var milliseconds = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var high = (milliseconds << 16) | 0x7000UL | (randomA & 0xFFFUL);
        var low = 0x8000_0000_0000_0000UL | (randomB & 0x3FFF_FFFF_FFFF_FFFFUL);
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
