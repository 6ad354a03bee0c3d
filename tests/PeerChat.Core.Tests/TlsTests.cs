using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Security;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

public sealed class TlsTests : IDisposable
{
    private readonly X509Certificate2 _certificate = Certificates.CreateSelfSigned("peerchat-test");

    private string Thumbprint => Certificates.Fingerprint(_certificate);

    public void Dispose() => _certificate.Dispose();

    [Fact]
    public async Task APinnedSession_LogsInAndChats_OverTls()
    {
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate });
        var pinned = new ChatClientOptions { UseTls = true, ServerCertificateThumbprint = Thumbprint.ToLowerInvariant() };
        var alice = await server.LoginAsync("alice", pinned);
        var bob = await server.LoginAsync("bob", pinned);

        var receipt = await alice.BroadcastAsync("over tls");
        var message = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(1, receipt.Recipients);
        Assert.Equal("over tls", message.Text);
    }

    [Fact]
    public async Task AWrongFingerprint_IsRefused_AndSoIsAnUntrustedCertificateWithoutAPin()
    {
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate });
        using var other = Certificates.CreateSelfSigned("someone-else");

        var wrong = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync(new ChatClientOptions { UseTls = true, ServerCertificateThumbprint = Certificates.Fingerprint(other) }));
        var untrusted = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync(new ChatClientOptions { UseTls = true }));
        var skipped = await server.ConnectAsync(new ChatClientOptions { UseTls = true, SkipCertificateCheck = true });

        Assert.Equal(ErrorCodes.CertificateRejected, wrong.Code);
        Assert.Equal(ErrorCodes.CertificateRejected, untrusted.Code);
        Assert.Equal("peerchat/1", skipped.Hello.Protocol);
    }

    [Fact]
    public async Task APlainClient_AgainstATlsServer_FailsFastWithTlsRequired()
    {
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate });

        // The code shows it failed fast, not a clock: a client left waiting ends in Timeout after
        // its 10 s ConnectTimeout, well inside the test's patience.
        var error = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync().WaitAsync(TestServer.Patience));

        Assert.Equal(ErrorCodes.TlsRequired, error.Code);
        Assert.Contains("TLS", error.Message);
    }

    [Fact]
    public async Task ATlsClient_AgainstAPlainServer_FailsFastWithTlsUnavailable()
    {
        await using var server = await TestServer.StartAsync();

        var error = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync(new ChatClientOptions { UseTls = true, SkipCertificateCheck = true }).WaitAsync(TestServer.Patience));

        Assert.Equal(ErrorCodes.TlsUnavailable, error.Code);
    }

    [Fact]
    public async Task AFullTlsServer_SaysServerFullInsideTheHandshake_TwentyTimesASecond_ThenClosesWithoutAWord()
    {
        // The rejections' budget refills on the server's clock, which stands still here.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate, MaxClients = 1, TimeProvider = clock, AuthTimeout = TimeSpan.FromDays(1) });
        var pinned = new ChatClientOptions { UseTls = true, ServerCertificateThumbprint = Thumbprint };
        await server.LoginAsync("alice", pinned);

        var answered = new List<ChatClientException>();
        for (var i = 0; i < 20; i++)
        {
            answered.Add(await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync(pinned).WaitAsync(TestServer.Patience)));
        }

        var unanswered = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync(pinned).WaitAsync(TestServer.Patience));
        clock.Advance(TimeSpan.FromSeconds(1));
        var afterASecond = await Assert.ThrowsAsync<ChatClientException>(() => server.ConnectAsync(pinned).WaitAsync(TestServer.Patience));

        Assert.All(answered, e => Assert.Equal(ErrorCodes.ServerFull, e.Code));
        Assert.Contains("maximum of 1 clients", answered[0].Message);
        Assert.Equal(ErrorCodes.TlsUnavailable, unanswered.Code);
        Assert.Contains("20 a second", unanswered.Message);
        Assert.Equal(ErrorCodes.ServerFull, afterASecond.Code);
        await server.WaitUntilAsync(() => server.Events.OfType<ClientRejectedEvent>().Count() == 22, "every rejection is reported");
    }

    [Fact]
    public async Task TheTlsHandshake_CountsInsideAuthTimeout()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate, TimeProvider = clock });
        using var raw = server.ConnectRaw();
        await raw.SendAsync([0x16, 0x03, 0x01]);
        await server.WaitForEventAsync<ClientConnectedEvent>();

        clock.Advance(TimeSpan.FromSeconds(10));
        var frames = await raw.ReadUntilClosedAsync();
        var gone = await server.WaitForEventAsync<ClientDisconnectedEvent>();

        Assert.Empty(frames);
        Assert.Equal(ErrorCodes.AuthTimeout, gone.Reason);
    }

    [Fact]
    public async Task DirectMessages_UnderTls_GoToThePinnedPeerListener()
    {
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate });
        var pinned = new ChatClientOptions { UseTls = true, ServerCertificateThumbprint = Thumbprint };
        var alice = await server.LoginAsync("alice", pinned);
        var bob = await server.LoginAsync("bob", pinned);

        var grant = await alice.ConnectPeerAsync("bob");
        var receipt = await alice.SendAsync("bob", "private and direct", route: RoutePreference.Direct);
        var message = (ChatMessage)await bob.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);

        Assert.Equal(bob.DirectFingerprint, grant.Fingerprint);
        Assert.NotNull(grant.Fingerprint);
        Assert.Equal(MessageRoute.Direct, receipt.Route);
        Assert.Equal(("private and direct", MessageRoute.Direct), (message.Text, message.Route));
    }

    [Fact]
    public async Task APeerPresentingAnotherCertificate_IsRefused_AndAutoFallsBackToRelay()
    {
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate });
        var alice = await server.LoginAsync("alice", new ChatClientOptions { UseTls = true, ServerCertificateThumbprint = Thumbprint });

        // "bob" announces the fingerprint of one certificate; its listener presents another.
        using var announced = Certificates.CreateSelfSigned("announced");
        using var presented = Certificates.CreateSelfSigned("presented");
        using var impostor = new TcpListener(IPAddress.Loopback, 0);
        impostor.Start();
        var impostorSaw = AcceptTlsAsync(impostor, presented);
        await using var bob = await TlsLineClient.LoginAsync(server.Port, Thumbprint, "bob", ((IPEndPoint)impostor.LocalEndpoint).Port, Certificates.Fingerprint(announced));

        var direct = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("bob", "for bob only", route: RoutePreference.Direct));
        var auto = await alice.SendAsync("bob", "via the server");
        var relayed = await bob.ReadFrameAsync("message");

        impostor.Stop();

        Assert.Equal(ErrorCodes.CertificateRejected, direct.Code);
        Assert.Equal(MessageRoute.Relay, auto.Route);
        Assert.Equal("via the server", relayed.GetProperty("text").GetString());
        Assert.False(await impostorSaw, "the impostor received a peer_hello");
    }

    [Fact]
    public async Task UnderTls_APeerWithoutAFingerprint_IsNeverSentAMessageInClearText()
    {
        // "bob" logs in over TLS but announces a plain listener, with no fingerprint.
        await using var server = await TestServer.StartAsync(o => o with { Certificate = _certificate });
        var alice = await server.LoginAsync("alice", new ChatClientOptions { UseTls = true, ServerCertificateThumbprint = Thumbprint });
        using var plain = new TcpListener(IPAddress.Loopback, 0);
        plain.Start();
        var plainSaw = AcceptAnyAsync(plain);
        await using var bob = await TlsLineClient.LoginAsync(server.Port, Thumbprint, "bob", ((IPEndPoint)plain.LocalEndpoint).Port, peerFingerprint: null);
        using var data = JsonDocument.Parse("""{"pin":1234}""");

        var direct = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("bob", "secret", data.RootElement, RoutePreference.Direct));
        var auto = await alice.SendAsync("bob", "secret, via the server", data.RootElement);
        var relayed = await bob.ReadFrameAsync("message");
        plain.Stop();

        Assert.Equal(ErrorCodes.DirectTlsRequired, direct.Code);
        Assert.Equal(MessageRoute.Relay, auto.Route);
        Assert.Equal("secret, via the server", relayed.GetProperty("text").GetString());
        Assert.Null(await plainSaw);
    }

    /// <summary>The first bytes any connection to <paramref name="listener"/> sends (empty when it sends none), or null when none connects before it stops.</summary>
    private static async Task<string?> AcceptAnyAsync(TcpListener listener)
    {
        using var stop = new CancellationTokenSource(TestServer.Patience);
        try
        {
            using var socket = await listener.AcceptSocketAsync(stop.Token);
            var buffer = new byte[4096];
            using var read = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                return Encoding.UTF8.GetString(buffer, 0, await socket.ReceiveAsync(buffer, read.Token));
            }
            catch (OperationCanceledException)
            {
                return string.Empty;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Accepts TLS connections with <paramref name="certificate"/>; true if any of them got as far as sending a line.</summary>
    private static async Task<bool> AcceptTlsAsync(TcpListener listener, X509Certificate2 certificate)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                using var socket = await listener.AcceptSocketAsync(stop.Token);
                await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, stop.Token);
                    var buffer = new byte[1];
                    if (await tls.ReadAsync(buffer, stop.Token) > 0)
                    {
                        return true;
                    }
                }
                catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException)
                {
                    // The sender refused our certificate: as it should.
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped: nobody ever got past the handshake.
            return false;
        }
    }

    /// <summary>A client speaking raw protocol lines over TLS, able to announce any peer port and fingerprint.</summary>
    private sealed class TlsLineClient : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly SslStream _tls;
        private readonly StreamReader _reader;

        private TlsLineClient(TcpClient tcp, SslStream tls)
        {
            _tcp = tcp;
            _tls = tls;
            _reader = new StreamReader(tls, Encoding.UTF8);
        }

        public static async Task<TlsLineClient> LoginAsync(int port, string serverThumbprint, string user, int peerPort, string? peerFingerprint)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, port);
            var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => Certificates.HasFingerprint(certificate, serverThumbprint));
            await tls.AuthenticateAsClientAsync("localhost");
            var client = new TlsLineClient(tcp, tls);
            await client.ReadFrameAsync("hello");
            await client.SendAsync(new { type = "signup", id = 1, user, password = TestServer.Password });
            await client.ReadFrameAsync("ok");
            await client.SendAsync(new { type = "login", id = 2, user, password = TestServer.Password, peer = new { port = peerPort, fingerprint = peerFingerprint } });
            await client.ReadFrameAsync("welcome");
            return client;
        }

        public async Task SendAsync(object frame) => await _tls.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(frame) + "\n"));

        public async Task<JsonElement> ReadFrameAsync(string type)
        {
            while (true)
            {
                var line = await _reader.ReadLineAsync().WaitAsync(TestServer.Patience) ?? throw new IOException("closed");
                var frame = JsonDocument.Parse(line).RootElement.Clone();
                if (frame.GetProperty("type").GetString() == type)
                {
                    return frame;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _tls.DisposeAsync();
            _tcp.Dispose();
        }
    }
}
