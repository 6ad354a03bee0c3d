using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PeerChat.Core.Security;

/// <summary>Certificates for TLS: made on the spot, loaded from PFX or PEM, and compared by SHA-256 fingerprint.</summary>
public static class Certificates
{
    /// <summary>A self-signed ECDSA P-256 certificate, valid for a year, for a server or a session's peer listener.</summary>
    public static X509Certificate2 CreateSelfSigned(string subjectName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subjectName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }

    /// <summary>Loads a certificate with its private key from a PFX/PKCS#12 file or a PEM file holding both.</summary>
    public static X509Certificate2 Load(string path, string? password)
    {
        var text = File.ReadAllText(path);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(path)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, password);
    }

    /// <summary>The SHA-256 fingerprint of a certificate, as upper-case hex without separators.</summary>
    public static string Fingerprint(X509Certificate certificate) =>
        Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));

    /// <summary>True when <paramref name="certificate"/> has the fingerprint <paramref name="expected"/> (hex, any case, with or without colons or spaces).</summary>
    public static bool HasFingerprint(X509Certificate? certificate, string expected)
    {
        if (certificate is null)
        {
            return false;
        }

        var wanted = Normalize(expected);
        var actual = Fingerprint(certificate);
        return wanted.Length == actual.Length
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(actual), Encoding.ASCII.GetBytes(wanted));
    }

    public static string Normalize(string fingerprint) =>
        string.Concat(fingerprint.Where(Uri.IsHexDigit)).ToUpperInvariant();
}
