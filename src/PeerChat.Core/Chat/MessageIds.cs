using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

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

    // Random bytes for the ids, drawn from the system's generator a batch at a time: Guid.CreateVersion7
    // reads the kernel's random source once per id, a system call for every message sent.
    private const int RandomBytesPerId = 10;
    private const int IdsPerBatch = 64;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_randomUsed;

    public static string Next()
    {
        // A version 7 UUID as RFC 9562 lays it out (what Guid.CreateVersion7 makes): 48 bits of
        // Unix milliseconds, the version (7), 12 random bits, the variant (10), 62 random bits.
        var random = NextRandomBytes();
        var milliseconds = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var high = (milliseconds << 16) | 0x7000UL | (BinaryPrimitives.ReadUInt16BigEndian(random) & 0x0FFFUL);
        var low = 0x8000_0000_0000_0000UL | (BinaryPrimitives.ReadUInt64BigEndian(random[2..]) & 0x3FFF_FFFF_FFFF_FFFFUL);
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

    private static ReadOnlySpan<byte> NextRandomBytes()
    {
        var random = t_random ??= new byte[RandomBytesPerId * IdsPerBatch];
        if (t_randomUsed == 0 || t_randomUsed == random.Length)
        {
            RandomNumberGenerator.Fill(random);
            t_randomUsed = 0;
        }

        var bytes = random.AsSpan(t_randomUsed, RandomBytesPerId);
        t_randomUsed += RandomBytesPerId;
        return bytes;
    }

    /// <summary>Whether <paramref name="id"/> has the shape of an id (any server's: the old "m41" ones too); the store still decides whether it exists.</summary>
    public static bool IsWellFormed(string? id) =>
        id is { Length: >= 2 and <= 64 } && id[0] == 'm' && id.AsSpan(1).IndexOfAnyExcept(AlphabetValues) < 0;
}
