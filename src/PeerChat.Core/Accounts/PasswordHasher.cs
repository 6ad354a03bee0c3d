using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace PeerChat.Core.Accounts;

/// <summary>
/// Salted, slow password hashes: PBKDF2-HMAC-SHA256 with a 16-byte random salt and a 32-byte key,
/// kept as one self-describing field <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt b64&gt;$&lt;hash b64&gt;</c>.
/// </summary>
public static class PasswordHasher
{
    /// <summary>OWASP's 2023 figure for PBKDF2-HMAC-SHA256; about 0.2 s a hash on the project's machines.</summary>
    public const int DefaultIterations = 600_000;

    /// <summary>
    /// The most iterations a record may ask for (about 2 s a hash): a login with a record read from
    /// a file must not hold a hashing slot for minutes, and 10x today's recommendation leaves room.
    /// </summary>
    public const int MaxIterations = 10 * DefaultIterations;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int KeyBytes = 32;

    public static string Hash(string password, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var key = Derive(password, salt, iterations);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(key)}");
    }

    /// <summary>
    /// Checks <paramref name="password"/> against a stored record in constant time. A malformed
    /// record never matches. <paramref name="iterations"/> is the record's count, for rehashing.
    /// </summary>
    public static bool Verify(string password, string record, out int iterations)
    {
        if (!TryParse(record, out iterations, out var salt, out var expected))
        {
            return false;
        }

        var actual = Derive(password, salt, iterations);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>
    /// Spends the same work as a real check, so that an unknown user cannot be told from a
    /// known one by the time the answer takes.
    /// </summary>
    public static void SpendEqualWork(string password, int iterations) =>
        Derive(password, new byte[SaltBytes], iterations);

    public static bool IsWellFormed(string record) => TryParse(record, out _, out _, out _);

    /// <summary>The iteration count a record asks for, read even when it is out of range (to say so); false when there is none.</summary>
    public static bool TryReadIterations(string record, out long iterations)
    {
        iterations = 0;
        var parts = record.Split('$');
        return parts.Length == 4 && parts[0] == Scheme && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations);
    }

    public static bool TryParse(string record, out int iterations, out byte[] salt, out byte[] key)
    {
        iterations = 0;
        salt = key = [];
        var parts = record.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations is < 1 or > MaxIterations)
        {
            return false;
        }

        try
        {
            salt = Convert.FromBase64String(parts[2]);
            key = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        return salt.Length >= SaltBytes && key.Length == KeyBytes;
    }

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, KeyBytes);
}
