using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using PeerChat.Core.Irc;
using PeerChat.Core.Server;

namespace PeerChat.Core.Web;

/// <summary>
/// One connection to the web port: TLS when the server has a certificate, one request read within
/// WebHeaderTimeout, and either a response and a close, or (GET /ws) an upgrade, after which the
/// connection is an ordinary peerchat/1 or IRC one over a <see cref="WebSocketTransport"/>. Admitted
/// and counted as every connection is; while it is an exchange it holds what Admit counted.
/// </summary>
internal sealed class WebExchange(ChatServer server, Socket socket, IPAddress addressGroup)
{
    private const byte TlsHandshakeRecord = 0x16;
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    // How long an error or a page may take to be written and read before the socket closes.
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(1);

    private readonly ChatServerOptions _options = server.Options;

    /// <summary>Runs the exchange, and the connection it becomes, to the end; never throws.</summary>
    public async Task RunAsync()
    {
        Stream? stream = null;
        var upgraded = false;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(server.Stopping);
            deadline.CancelAfter(_options.WebHeaderTimeout);
            stream = await OpenAsync(deadline.Token).ConfigureAwait(false);
            if (stream is null)
            {
                return;
            }

            var (response, request) = await ReadRequestAsync(stream, deadline).ConfigureAwait(false);
            if (response is null && request is not null)
            {
                response = Answer(request, out var upgrade);
                if (upgrade is { } u)
                {
                    // The deadline was for the request; the connection has its own from here.
                    deadline.Dispose();
                    upgraded = true;
                    await UpgradeAsync(stream, u.Accept, u.SubProtocol, u.Echo).ConfigureAwait(false);
                    return;
                }
            }

            if (response is not null)
            {
                await RespondAsync(stream, response).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex) || ex is AuthenticationException)
        {
            // The client left or broke the handshake: nothing to tell it.
        }
        catch (Exception ex)
        {
            server.ReportError("web " + socket.RemoteEndPoint, ex);
        }
        finally
        {
            if (!upgraded)
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                socket.Dispose();
                server.OnWebExchangeEnded(addressGroup);
            }
        }
    }

    /// <summary>The stream to speak HTTP on; null when the exchange is already over (a plain client on an HTTPS port is told so).</summary>
    private async Task<Stream?> OpenAsync(CancellationToken deadline)
    {
        if (_options.Certificate is not { } certificate)
        {
            return new NetworkStream(socket, ownsSocket: false);
        }

        var first = new byte[1];
        if (await socket.ReceiveAsync(first, SocketFlags.Peek, deadline).ConfigureAwait(false) == 0)
        {
            return null;
        }

        if (first[0] != TlsHandshakeRecord)
        {
            await RespondAsync(new NetworkStream(socket, ownsSocket: false), HttpResponses.Error(400, "This port speaks HTTPS: use https:// (and wss://).")).ConfigureAwait(false);
            return null;
        }

        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, deadline).ConfigureAwait(false);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return tls;
    }

    /// <summary>Reads one request head; an error response instead when it breaks a rule or does not arrive in time.</summary>
    private async Task<(byte[]? Response, HttpRequest? Request)> ReadRequestAsync(Stream stream, CancellationTokenSource deadline)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(HttpRequestParser.MaxHeaderBytes);
        try
        {
            var held = 0;
            while (true)
            {
                int read;
                try
                {
                    read = await stream.ReadAsync(buffer.AsMemory(held, HttpRequestParser.MaxHeaderBytes - held), deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!server.Stopping.IsCancellationRequested)
                {
                    return (HttpResponses.Error(408, $"The request line and headers must arrive within {_options.WebHeaderTimeout.TotalSeconds:0.###} s."), null);
                }

                if (read == 0)
                {
                    return (null, null);
                }

                held += read;
                switch (HttpRequestParser.TryParse(new ReadOnlySequence<byte>(buffer, 0, held), out var request, out var consumed, out var error))
                {
                    case HttpParseStatus.Complete when consumed < held:
                        return (HttpResponses.Error(400, "Nothing may follow the request before the answer (no body, no pipelining)."), null);
                    case HttpParseStatus.Complete:
                        return (null, request);
                    case HttpParseStatus.TooLarge:
                        return (HttpResponses.Error(431, error!), null);
                    case HttpParseStatus.Malformed:
                        return (HttpResponses.Error(400, error!), null);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The response to <paramref name="request"/>; null with <paramref name="upgrade"/> set for a WebSocket to open.</summary>
    private byte[]? Answer(HttpRequest request, out (string Accept, string SubProtocol, bool Echo)? upgrade)
    {
        upgrade = null;
        if (request.Method != "GET")
        {
            return HttpResponses.Error(405, "Only GET is served here.", "Allow: GET\r\n");
        }

        if (request["Transfer-Encoding"] is not null || request["Content-Length"] is { } length && length != "0")
        {
            return HttpResponses.Error(400, "A GET here has no body.");
        }

        if (request.Path == "/ws")
        {
            var refusal = WebSocketHandshake.Check(request, _options.Certificate is not null, _options.WebAllowedOrigin, out var accept, out var subProtocol, out var echo);
            if (refusal is null)
            {
                upgrade = (accept, subProtocol, echo);
            }

            return refusal;
        }

        return WebPage.Find(request.Path) ?? HttpResponses.Error(404, $"There is nothing at {request.Path}.");
    }

    /// <summary>Writes the 101 and hands the socket to a peerchat/1 or IRC connection, which it then is until its end.</summary>
    private async Task UpgradeAsync(Stream stream, string accept, string subProtocol, bool echo)
    {
        try
        {
            using var write = new CancellationTokenSource(_options.WriteTimeout);
            await stream.WriteAsync(HttpResponses.SwitchingProtocols(accept, echo ? subProtocol : null), write.Token).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            server.OnWebExchangeEnded(addressGroup);
            throw;
        }

        var irc = subProtocol == WebSocketHandshake.IrcProtocol;
        var frames = new FrameBatchingStream(stream);
        var webSocket = WebSocket.CreateFromStream(frames, new WebSocketCreationOptions { IsServer = true, SubProtocol = echo ? subProtocol : null, KeepAliveInterval = KeepAliveInterval });
        var transport = new WebSocketTransport(webSocket, socket, frames, irc);
        var clientId = server.NextClientId();
        IServerConnection connection = irc ? new IrcConnection(server, transport, clientId) : new ClientConnection(server, transport, clientId);
        server.Register(connection);
        await connection.RunAsync().ConfigureAwait(false);
    }

    /// <summary>Writes a response and closes in order, reading what the client still sends for a moment so that it is not lost to a reset.</summary>
    private async Task RespondAsync(Stream stream, byte[] response)
    {
        using var linger = new CancellationTokenSource(Linger);
        try
        {
            await stream.WriteAsync(response, linger.Token).ConfigureAwait(false);
            if (stream is SslStream tls)
            {
                await tls.ShutdownAsync().ConfigureAwait(false);
            }

            socket.Shutdown(SocketShutdown.Send);
            var scratch = ArrayPool<byte>.Shared.Rent(1024);
            try
            {
                while (await socket.ReceiveAsync(scratch, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            // The client left first, or took longer than the linger: the response was sent or cannot be.
        }
    }
}
