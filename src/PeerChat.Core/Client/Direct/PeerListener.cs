using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client.Direct;

/// <summary>
/// A client's own listener for direct messages. A peer connects, says <c>peer_hello</c> with a
/// token the server gave it, and once the token checks out sends <c>message</c> frames, each
/// answered with <c>ack</c>. A connection without a valid token delivers nothing and is closed;
/// it never touches the listener's other connections.
/// </summary>
internal sealed class PeerListener : IAsyncDisposable
{
    // Bounds on what a stranger can make us hold: connections at once, and time to say hello.
    private const int MaxConnections = 256;
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _listener;
    private readonly PeerTokenBook _tokens;
    private readonly ChatClientOptions _options;
    private readonly Func<string> _ownUserName;
    private readonly Action<ChatMessage> _deliver;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, Task> _connections = new();
    private readonly DirectFloodControl _flood;
    private readonly Task _acceptLoop;

    private readonly X509Certificate2? _certificate;

    public PeerListener(IPAddress localAddress, PeerTokenBook tokens, ChatClientOptions options, X509Certificate2? certificate, Func<string> ownUserName, Action<ChatMessage> deliver)
    {
        _certificate = certificate;
        _tokens = tokens;
        _options = options;
        _ownUserName = ownUserName;
        _deliver = deliver;
        _flood = new DirectFloodControl(options);
        _listener = new Socket(localAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(localAddress, 0));
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var socket in _connections.Keys)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested || ex is ObjectDisposedException)
                {
                    return;
                }

                continue;
            }

            if (_connections.Count >= MaxConnections)
            {
                socket.Dispose();
                continue;
            }

            socket.NoDelay = true;
            var serving = Task.Run(() => ServeAsync(socket));
            _connections[socket] = serving;

            // A connection that ended before it was recorded would otherwise hold its slot for good.
            if (serving.IsCompleted)
            {
                _connections.TryRemove(socket, out _);
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        FrameReader? reader = null;
        DirectFloodControl.PeerBudget? budget = null;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        try
        {
            idle.CancelAfter(HelloTimeout);
            if (_certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, idle.Token).ConfigureAwait(false);
            }

            reader = new FrameReader(stream, _options.MaxDirectFrameBytes);
            var peer = await HandshakeAsync(stream, reader, idle.Token).ConfigureAwait(false);
            if (peer is null)
            {
                return;
            }

            budget = _flood.Join(peer);

            while (true)
            {
                idle.CancelAfter(_options.DirectIdleTimeout);
                var frame = await reader.ReadAsync(idle.Token).ConfigureAwait(false);
                if (frame is not { } message)
                {
                    return;
                }

                // The reader checked that type is a string: compared in place, nothing allocated.
                if (!message.GetProperty("type").ValueEquals("message"u8) || ServerFrames.OptionalString(message, "messageId") is not { } id)
                {
                    await WriteAsync(stream, FrameWriter.Error(null, ErrorCodes.BadFrame, "Expected a message frame with a messageId."), idle.Token).ConfigureAwait(false);
                    return;
                }

                _deliver(ServerFrames.PeerMessage(message, id, peer, _ownUserName(), _options.TimeProvider.GetUtcNow()));
                await WriteAsync(stream, PeerFrames.Ack(id), idle.Token).ConfigureAwait(false);

                // Past the peer's budget, the next frame waits in TCP's buffers, not in ours.
                var pause = budget.Charge(JsonMarshal.GetRawUtf8Value(message).Length);
                if (pause > TimeSpan.Zero)
                {
                    idle.CancelAfter(pause + _options.DirectIdleTimeout);
                    await Task.Delay(pause, _options.TimeProvider, idle.Token).ConfigureAwait(false);
                }
            }
        }
        catch (BadFrameException ex)
        {
            await TryWriteAsync(stream, FrameWriter.Error(null, ex.Code, ex.Message)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException or AuthenticationException)
        {
            // Idle for too long, the peer left, a failed handshake, or we are closing: the connection simply ends.
        }
        finally
        {
            budget?.Dispose();
            if (reader is not null)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            await stream.DisposeAsync().ConfigureAwait(false);
            _connections.TryRemove(socket, out _);
        }
    }

    /// <summary>Checks <c>peer_hello</c>; returns the peer's user name, or null after refusing it.</summary>
    private async Task<string?> HandshakeAsync(Stream stream, FrameReader reader, CancellationToken cancellationToken)
    {
        var hello = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (hello is not { } frame)
        {
            return null;
        }

        var from = ServerFrames.OptionalString(frame, "from");
        var token = ServerFrames.OptionalString(frame, "token");
        if (ServerFrames.Type(frame) != "peer_hello" || from is null || token is null)
        {
            await WriteAsync(stream, FrameWriter.Error(null, ErrorCodes.BadFrame, "Expected peer_hello with 'from' and 'token'."), cancellationToken).ConfigureAwait(false);
            return null;
        }

        var (ok, reason) = await _tokens.TryRedeemAsync(token, from, _options.PeerTokenWait, cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            await WriteAsync(stream, FrameWriter.Error(null, ErrorCodes.InvalidToken, $"Refused: {reason}."), cancellationToken).ConfigureAwait(false);
            return null;
        }

        await WriteAsync(stream, PeerFrames.Welcome(), cancellationToken).ConfigureAwait(false);
        return from;
    }

    private static async Task WriteAsync(Stream stream, byte[] frame, CancellationToken cancellationToken) =>
        await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);

    private static async Task TryWriteAsync(Stream stream, byte[] frame)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await stream.WriteAsync(frame, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The peer is gone; nothing to tell it.
        }
    }
}
