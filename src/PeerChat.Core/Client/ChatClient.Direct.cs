using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using PeerChat.Core.Client.Direct;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client;

public sealed partial class ChatClient
{
    private readonly ConcurrentDictionary<string, Task<DirectLink>> _links = new(Accounts.PasswordRules.UserNameComparer);
    private PeerTokenBook? _tokens;
    private PeerListener? _peerListener;

    // Direct messages lately received, so that a retried or relayed copy is delivered once.
    private readonly RecentDirectMessages _recentDirect = new();

    /// <summary>For tests: the characters of the direct message ids remembered to keep copies out.</summary>
    internal long RecentDirectIdChars => _recentDirect.Chars;
    private System.Security.Cryptography.X509Certificates.X509Certificate2? _peerCertificate;

    // Direct message ids need only be unique per sender (the receiver acks by them): a random
    // prefix per client and a counter, rather than random bytes for each message.
    private readonly string _directMessageIdPrefix = "d" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + "-";
    private long _directMessageCount;

    /// <summary>The port of this client's listener for direct messages; null when direct messages are off.</summary>
    public int? DirectPort => _peerListener?.Port;

    /// <summary>Under TLS, the SHA-256 fingerprint of the certificate made for this session's listener.</summary>
    public string? DirectFingerprint { get; private set; }

    /// <summary>
    /// Sends a direct message. Auto tries a direct connection and falls back to the server's relay
    /// when the peer cannot be reached (or, under TLS, offers no certificate to pin); Direct fails
    /// with <c>peer_unavailable</c> (<c>direct_tls_required</c>) instead; Relay
    /// goes through the server at once. The receipt says which route the message took.
    /// </summary>
    public async Task<SendReceipt> SendAsync(string to, string text, JsonElement? data = null, RoutePreference route = RoutePreference.Auto, CancellationToken cancellationToken = default)
    {
        if (route == RoutePreference.Relay)
        {
            return await SendMessageAsync("send", to, text, data, cancellationToken).ConfigureAwait(false);
        }

        var messageId = _directMessageIdPrefix + Interlocked.Increment(ref _directMessageCount).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            return await SendDirectAsync(to, messageId, text, data, cancellationToken).ConfigureAwait(false);
        }
        catch (ChatClientException ex) when (route == RoutePreference.Auto && (ex.Code is ErrorCodes.PeerUnavailable or ErrorCodes.InvalidToken or ErrorCodes.CertificateRejected or ErrorCodes.DirectTlsRequired
            || (ex.Code is ErrorCodes.NoSuchUser or ErrorCodes.UserOffline && Hello.Supports(ServerExtensions.Offline))))
        {
            // A user who is not online may still be registered: with offline delivery the server queues it.
            // The direct copy may have arrived with only its ack lost: the relayed one names it.
            return await SendMessageAsync("send", to, text, data, cancellationToken, directId: messageId).ConfigureAwait(false);
        }
    }

    /// <summary>Asks the server for a peer's endpoint and a one-time token (<c>connect_peer</c>).</summary>
    public async Task<PeerGrant> ConnectPeerAsync(string to, CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync("connect_peer", to, static (w, s) => w.WriteString("to", s), cancellationToken).ConfigureAwait(false);
        return ServerFrames.Peer(reply);
    }

    /// <summary>Stops accepting direct connections (a peer's view: the listener is gone).</summary>
    internal async Task CloseDirectListenerAsync()
    {
        if (_peerListener is { } listener)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Awaited once, by SendAsync: the state of a send that waits for its ack is reused by the next.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<SendReceipt> SendDirectAsync(string to, string messageId, string text, JsonElement? data, CancellationToken cancellationToken)
    {
        var from = Session?.UserName ?? throw new ChatClientException(ErrorCodes.NotAuthenticated, "Log in first.");
        // An open link is taken as it is: no asynchronous step for the usual case.
        var link = _links.TryGetValue(to, out var known) && known.IsCompletedSuccessfully && known.Result.IsOpen
            ? known.Result
            : await GetLinkAsync(to, from, cancellationToken).ConfigureAwait(false);
        TimeSpan roundTrip;
        try
        {
            roundTrip = await link.SendAsync(messageId, from, text, data, cancellationToken).ConfigureAwait(false);
        }
        catch (ChatClientException)
        {
            // A cached link may have died with its peer's old session: one fresh link, then give up.
            // The same id again, so that a receiver that got the first copy keeps one.
            link = await GetLinkAsync(to, from, cancellationToken).ConfigureAwait(false);
            roundTrip = await link.SendAsync(messageId, from, text, data, cancellationToken).ConfigureAwait(false);
        }

        CountDirectSend();
        return new SendReceipt(messageId, 1, DateTimeOffset.UtcNow, MessageRoute.Direct, roundTrip);
    }

    /// <summary>The open link to <paramref name="to"/>, or a new one; concurrent callers share one attempt.</summary>
    private async Task<DirectLink> GetLinkAsync(string to, string from, CancellationToken cancellationToken)
    {
        var attempt = _links.GetOrAdd(to, static (to, state) => state.Client.OpenLinkAsync(to, state.From), (Client: this, From: from));
        try
        {
            var link = await attempt.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (link.IsOpen)
            {
                return link;
            }
        }
        catch (ChatClientException)
        {
            _links.TryRemove(new KeyValuePair<string, Task<DirectLink>>(to, attempt));
            throw;
        }

        _links.TryRemove(new KeyValuePair<string, Task<DirectLink>>(to, attempt));
        return await GetLinkAsync(to, from, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DirectLink> OpenLinkAsync(string to, string from)
    {
        var grant = await ConnectPeerAsync(to, _closed.Token).ConfigureAwait(false);
        return await DirectLink.OpenAsync(grant, from, _options, _closed.Token).ConfigureAwait(false);
    }

    private void StartDirectListener(IPAddress localAddress)
    {
        _tokens = new PeerTokenBook(_options.TimeProvider);
        if (_options.UseTls)
        {
            // Under TLS the listener gets a certificate of its own; peers are told its fingerprint
            // through the server, as WebRTC signals fingerprints, and accept nothing else.
            _peerCertificate = Security.Certificates.CreateSelfSigned("PeerChat peer");
            DirectFingerprint = Security.Certificates.Fingerprint(_peerCertificate);
        }

        _peerListener = new PeerListener(localAddress, _tokens, _options, _peerCertificate, () => Session?.UserName ?? string.Empty, DeliverDirect);
    }

    /// <summary>A message from a peer's link: delivered unless it is a copy (it is acked either way).</summary>
    private void DeliverDirect(ChatMessage message)
    {
        if (_recentDirect.TryRecord(message.From, message.MessageId))
        {
            _events.Writer.TryWrite(message);
        }
    }

    /// <summary><c>peer_expect</c>: the server announces a token a peer will present.</summary>
    private void OnPeerExpect(JsonElement frame)
    {
        if (_tokens is not null && ServerFrames.PeerExpect(frame) is { } expectation)
        {
            _tokens.Expect(expectation.Token, expectation.From, expectation.ExpiresAt);
        }
    }

    private async Task CloseDirectAsync()
    {
        foreach (var attempt in _links.Values)
        {
            if (attempt.IsCompletedSuccessfully)
            {
                await attempt.Result.DisposeAsync().ConfigureAwait(false);
            }
        }

        await CloseDirectListenerAsync().ConfigureAwait(false);
        _peerCertificate?.Dispose();
    }
}
