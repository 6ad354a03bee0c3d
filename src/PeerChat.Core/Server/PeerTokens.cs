using System.Security.Cryptography;

namespace PeerChat.Core.Server;

/// <summary>One-time tokens for direct connections: 128 random bits, valid 30 s.</summary>
internal static class PeerTokens
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private const int TokenBytes = 16;

    /// <summary>A fresh token, base64url without padding (22 characters).</summary>
    public static string Create() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(TokenBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
