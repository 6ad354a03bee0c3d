using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

public sealed partial class ChatServer
{
    // A turned-away client gets a moment to read its error before the socket closes.
    private static readonly TimeSpan RejectLinger = TimeSpan.FromSeconds(1);
    private const int MaxLingeringRejections = 256;
    private int _rejecting;

    // Under TLS a turned-away client is told why inside a handshake, which costs the server a
    // signature: at most this many a second (a burst as large), the rest are closed without a word.
    private const int TlsRejectionsPerSecond = 20;
    private static readonly TimeSpan TlsRejectHandshakeTimeout = TimeSpan.FromSeconds(2);

    // Used only by the accept loop, one socket at a time.
    private TokenBucket? _tlsRejections;

    // After an accept failure that is not ours (out of file descriptors, say), pause so that the
    // loop does not spin while the condition lasts.
    private static readonly TimeSpan AcceptErrorBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>Which port a connection came in on, and so what it speaks.</summary>
    private enum Entry
    {
        PeerChat,
        Irc,
        Web,
    }

    /// <summary>Accepts on <paramref name="listener"/>, the <paramref name="port"/> one.</summary>
    private async Task AcceptLoopAsync(Socket listener, Entry port)
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (token.IsCancellationRequested || SocketErrors.IsListenerClosed(ex))
            {
                return;
            }
            catch (Exception ex)
            {
                ReportError("accept", ex);
                await Task.Delay(AcceptErrorBackoff, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                continue;
            }

            try
            {
                Admit(socket, port);
            }
            catch (Exception ex)
            {
                socket.Dispose();
                ReportError("accept", ex);
            }
        }
    }

    /// <summary>Starts a connection, or turns it away when the server or its address is full.</summary>
    private void Admit(Socket socket, Entry port)
    {
        socket.NoDelay = true;
        if (Options.SocketSendBufferBytes is { } sendBuffer)
        {
            socket.SendBufferSize = sendBuffer;
        }

        // Pending connections are counted per address group: an IPv6 /64 counts as one address.
        var address = AddressGroups.Of(socket.RemoteEndPoint is IPEndPoint remote ? remote.Address : IPAddress.None);

        if (Interlocked.Increment(ref _connectionCount) > Options.MaxClients)
        {
            Interlocked.Decrement(ref _connectionCount);
            Reject(socket, port, ErrorCodes.ServerFull, $"The server holds its maximum of {Options.MaxClients} clients.");
            return;
        }

        var pending = _pendingByAddress.AddOrUpdate(address, 1, (_, n) => n + 1);
        if (pending > Options.MaxPendingPerAddress)
        {
            ReleasePending(address);
            Interlocked.Decrement(ref _connectionCount);
            Reject(socket, port, ErrorCodes.TooManyConnections, $"Your address has {Options.MaxPendingPerAddress} connections that have not logged in.");
            return;
        }

        // The last places are for addresses with no connection waiting to log in: one address
        // holding connections open (and sessions) cannot fill the server, a newcomer still gets in.
        if (pending > 1 && Volatile.Read(ref _connectionCount) > Options.MaxClients - Options.EffectiveReservedSlots)
        {
            ReleasePending(address);
            Interlocked.Decrement(ref _connectionCount);
            Reject(socket, port, ErrorCodes.TooManyConnections, $"The server is nearly full; its last places go to addresses with no connection waiting to log in, and yours has {pending - 1}.");
            return;
        }

        Counters.Connected();
        if (port == Entry.Web)
        {
            // An HTTP exchange first; it becomes a connection if it upgrades to WebSocket.
            Interlocked.Increment(ref _runningCount);
            ThreadPool.UnsafeQueueUserWorkItem(static e => _ = e.RunAsync(), new Web.WebExchange(this, socket, address), preferLocal: false);
            return;
        }

        var transport = new SocketTransport(socket, Options.Certificate);
        var clientId = NextClientId();
        Run(port == Entry.Irc ? new Irc.IrcConnection(this, transport, clientId) : new ClientConnection(this, transport, clientId));
    }

    /// <remarks>In a cluster the node's name follows, so that a client id is unique across the nodes.</remarks>
    internal string NextClientId() => Options.Backplane is { } cluster
        ? $"c{Interlocked.Increment(ref _nextClientId)}.{cluster.NodeName}"
        : "c" + Interlocked.Increment(ref _nextClientId);

    /// <summary>Starts a connection admitted on any port (counted already, and in the running count when it began as a web exchange).</summary>
    private void Run(IServerConnection connection)
    {
        Register(connection);

        // Started on the pool rather than inline, so that the accept loop goes straight back to
        // accepting; a connection never throws and reports its end through OnConnectionFinished.
        Interlocked.Increment(ref _runningCount);
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.Start(), connection, preferLocal: false);
    }

    /// <summary>Lists a new connection for the sweeps and the stop, and tells the event stream.</summary>
    internal void Register(IServerConnection connection)
    {
        _connections.Add(connection);
        Raise(new ClientConnectedEvent(Now, connection.ClientId, connection.Address));

        // A stop that began while this socket was being admitted must still reach it.
        if (_stopping.IsCancellationRequested)
        {
            connection.RequestShutdown();
        }
    }

    private void Reject(Socket socket, Entry port, string code, string message)
    {
        Counters.Rejected();
        var endPoint = socket.RemoteEndPoint?.ToString() ?? "?";
        Raise(new ClientRejectedEvent(Now, endPoint, code));

        // The rejections lingering at once are capped, so that a connection storm cannot hold
        // sockets open through them; under TLS they are also budgeted in time (above).
        if (Interlocked.Increment(ref _rejecting) > MaxLingeringRejections)
        {
            Interlocked.Decrement(ref _rejecting);
            socket.Dispose();
            return;
        }

        var frame = port switch
        {
            Entry.Irc => Irc.IrcConnection.RejectLine(message),
            Entry.Web => Web.HttpResponses.Error(503, message),
            _ => FrameWriter.Error(null, code, message),
        };
        if (Options.Certificate is not { } certificate)
        {
            _ = RejectAsync(socket, frame);
            return;
        }

        _tlsRejections ??= new TokenBucket(TlsRejectionsPerSecond, TlsRejectionsPerSecond, Options.TimeProvider);
        if (!_tlsRejections.TryTake(out _))
        {
            Interlocked.Decrement(ref _rejecting);
            socket.Dispose();
            return;
        }

        // On the pool: the handshake's signature must not hold up the accept loop.
        ThreadPool.UnsafeQueueUserWorkItem(static s => _ = s.Server.RejectOverTlsAsync(s.Socket, s.Certificate, s.Frame), (Server: this, Socket: socket, Certificate: certificate, Frame: frame), preferLocal: false);
    }

    /// <summary>No plain text may cross a TLS port: the handshake is made, then the error is sent inside it.</summary>
    private async Task RejectOverTlsAsync(Socket socket, X509Certificate2 certificate, byte[] frame)
    {
        SslStream? tls = null;
        try
        {
            tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: true);
            using (var handshake = new CancellationTokenSource(TlsRejectHandshakeTimeout))
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, handshake.Token).ConfigureAwait(false);
            }

            using var linger = new CancellationTokenSource(RejectLinger);
            await tls.WriteAsync(frame, linger.Token).ConfigureAwait(false);
            await tls.ShutdownAsync().ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);

            // Read until the client closes, so our error is not lost to a reset.
            var scratch = new byte[256];
            while (await socket.ReceiveAsync(scratch, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex) || ex is AuthenticationException or SocketException)
        {
            // A client that left, did not speak TLS, or took too long: nothing more to tell it.
        }
        finally
        {
            if (tls is not null)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
            }

            socket.Dispose();
            Interlocked.Decrement(ref _rejecting);
        }
    }

    private async Task RejectAsync(Socket socket, byte[] frame)
    {
        try
        {
            using var linger = new CancellationTokenSource(RejectLinger);
            await socket.SendAsync(frame, SocketFlags.None, linger.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);

            // Read until the client closes, so our error is not lost to a reset.
            var scratch = new byte[256];
            while (await socket.ReceiveAsync(scratch, SocketFlags.None, linger.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception ex) when (SocketErrors.IsConnectionGone(ex))
        {
            // The client left first; nothing to tell it.
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _rejecting);
        }
    }
}
