using System.Net.Security;
using System.Security.Authentication;
using PeerChat.Core.Protocol;
using PeerChat.Core.Security;

namespace PeerChat.Core.Client;

/// <summary>The client's side of TLS: to the server (pinned, trusted or unchecked) and to a peer (pinned always).</summary>
internal static class ClientTls
{
    public static async Task<Stream> AuthenticateAsync(Stream inner, string host, ChatClientOptions options, CancellationToken timeout, CancellationToken caller)
    {
        var rejected = false;
        var tls = new SslStream(inner, leaveInnerStreamOpen: false, (_, certificate, _, errors) =>
        {
            var accepted = options.ServerCertificateThumbprint is { } pin
                ? Certificates.HasFingerprint(certificate, pin)
                : options.SkipCertificateCheck || errors == SslPolicyErrors.None;
            rejected = !accepted;
            return accepted;
        });
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host }, timeout).ConfigureAwait(false);
            return tls;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException && !caller.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw rejected
                ? new ChatClientException(ErrorCodes.CertificateRejected, $"The certificate of {host} was refused: {(options.ServerCertificateThumbprint is null ? "it is not trusted here (pin it with its SHA-256 fingerprint)" : "its SHA-256 fingerprint is not the one expected")}.", innerException: ex)
                : new ChatClientException(ErrorCodes.TlsUnavailable, $"{host} did not complete a TLS handshake: it is a PeerChat server without TLS, or a TLS server turning away more connections than it answers (more than 20 a second while it is full, or this address has too many connections not logged in), which it then closes without a word. ({ex.Message})", innerException: ex);
        }
    }

    /// <summary>TLS to a peer's listener, accepting only the certificate whose fingerprint the server passed on.</summary>
    public static async Task<Stream> AuthenticatePeerAsync(Stream inner, string peerUser, string fingerprint, CancellationToken cancellationToken)
    {
        var tls = new SslStream(inner, leaveInnerStreamOpen: false, (_, certificate, _, _) => Certificates.HasFingerprint(certificate, fingerprint));
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = peerUser }, cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch (AuthenticationException ex)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new ChatClientException(ErrorCodes.CertificateRejected, $"{peerUser}'s listener presented a certificate other than the one its session announced.", innerException: ex);
        }
    }
}
