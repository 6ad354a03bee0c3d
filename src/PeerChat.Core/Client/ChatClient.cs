using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client;

/// <summary>
/// A connection to a PeerChat server. Requests are matched to replies by <c>id</c>; messages and
/// notices arrive on <see cref="Events"/>. When the connection drops, every pending request fails
/// with a <see cref="ChatClientException"/>; nothing waits forever.
/// </summary>
public sealed partial class ChatClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly ChatClientOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Channel<ChatEvent> _events = Channel.CreateUnbounded<ChatEvent>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly TaskCompletionSource<JsonElement> _hello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closed = new();
    private long _nextId;
    private Task _receiveLoop = Task.CompletedTask;

    private ChatClient(Socket socket, Stream stream, ChatClientOptions options)
    {
        _socket = socket;
        _stream = stream;
        _options = options;
    }

    /// <summary>The server's <c>hello</c>.</summary>
    public ServerHello Hello { get; private set; } = null!;

    /// <summary>Set by a successful <see cref="LoginAsync"/>.</summary>
    public Welcome? Session { get; private set; }

    public string Host { get; private set; } = string.Empty;

    public int Port { get; private set; }

    /// <summary>Messages and notices, in arrival order; completes when the connection ends.</summary>
    public ChannelReader<ChatEvent> Events => _events.Reader;

    public bool IsConnected => !_closed.IsCancellationRequested;

    /// <summary>Why the connection ended, once it has: the server's closing error or notice, or a local failure.</summary>
    public ChatClientException? CloseReason { get; private set; }

    /// <summary>Completes when the connection has ended.</summary>
    public Task Completion => _receiveLoop;

    /// <summary>
    /// Connects and reads the server's <c>hello</c>. A server that turns the connection away
    /// (<c>server_full</c>, <c>too_many_connections</c>) makes this throw with that code.
    /// </summary>
    public static async Task<ChatClient> ConnectAsync(string host, int port, ChatClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ChatClientOptions();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ChatClientException(ErrorCodes.Unreachable, $"Cannot reach a PeerChat server at {host}:{port}: {Describe(ex)}", innerException: ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Stream stream = new NetworkStream(socket, ownsSocket: true);
        ChatClient client;
        try
        {
            if (options.UseTls)
            {
                stream = await ClientTls.AuthenticateAsync(stream, host, options, timeout.Token, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await SayPingAsync(stream, timeout.Token).ConfigureAwait(false);
            }

            client = new ChatClient(socket, stream, options) { Host = host, Port = port };
            if (options.EnableDirect)
            {
                // The listener for direct messages sits on the address this client used to reach the
                // server: the one the server will see and hand to peers.
                var local = ((System.Net.IPEndPoint)socket.LocalEndPoint!).Address;
                client.StartDirectListener(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local);
            }
        }
        catch
        {
            // Cancelled or failed before the client existed: nothing else will close the socket.
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // The loop outlives this call, so the connect token must not stop it.
        client._receiveLoop = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        try
        {
            var hello = await client._hello.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            client.Hello = ServerFrames.Hello(hello);
            return client;
        }
        catch (ChatClientException ex) when (ex.Code == ErrorCodes.TlsRequired)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new ChatClientException(ErrorCodes.TlsRequired, $"{host}:{port} speaks TLS; connect with TLS (Connect-PeerChat -UseTls).");
        }
        catch (Exception ex)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new ChatClientException(ErrorCodes.Timeout, $"{host}:{port} accepted the connection but sent no PeerChat hello within {options.ConnectTimeout.TotalSeconds:0.#} s.", innerException: ex);
            }

            throw;
        }
    }

    /// <summary>Creates an account; does not log in (as in the original program).</summary>
    public async Task SignUpAsync(string userName, string password, CancellationToken cancellationToken = default) =>
        await RequestAsync("signup", (userName, password), static (w, s) =>
        {
            w.WriteString("user", s.userName);
            w.WriteString("password", s.password);
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>Logs in, announcing this client's own listener for direct messages when it has one.</summary>
    public async Task<Welcome> LoginAsync(string userName, string password, CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync("login", (userName, password, peerPort: DirectPort, fingerprint: DirectFingerprint, presence: _options.ReceivePresence), static (w, s) =>
        {
            w.WriteString("user", s.userName);
            w.WriteString("password", s.password);
            if (s.presence)
            {
                w.WriteBoolean("presence", true);
            }

            if (s.peerPort is { } port)
            {
                w.WriteStartObject("peer");
                w.WriteNumber("port", port);
                if (s.fingerprint is not null)
                {
                    w.WriteString("fingerprint", s.fingerprint);
                }

                w.WriteEndObject();
            }
        }, cancellationToken).ConfigureAwait(false);

        Session = ServerFrames.Welcome(reply);
        StartActivityReports(Session);
        return Session;
    }

    public async Task<IReadOnlyList<ClientInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync("list", 0, static (_, _) => { }, cancellationToken).ConfigureAwait(false);
        return ServerFrames.Clients(reply);
    }

    /// <summary>Sends <paramref name="text"/> (and optional <paramref name="data"/>, a JSON object) to every other client.</summary>
    public Task<SendReceipt> BroadcastAsync(string text, JsonElement? data = null, CancellationToken cancellationToken = default) =>
        SendMessageAsync("broadcast", null, text, data, cancellationToken);

    /// <summary>Returns the round-trip time of a <c>ping</c>.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        await RequestAsync("ping", 0, static (_, _) => { }, cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Says <c>logout</c> and waits (briefly) for the server to close the connection.</summary>
    public async Task LogoutAsync(CancellationToken cancellationToken = default)
    {
        if (!IsConnected)
        {
            return;
        }

        if (Session is null)
        {
            // Not logged in: logout would only get not_authenticated; just close.
            await DisposeAsync().ConfigureAwait(false);
            return;
        }

        try
        {
            await WriteAsync(FrameWriter.Build("logout"), cancellationToken).ConfigureAwait(false);
            await _receiveLoop.WaitAsync(_options.ConnectTimeout, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (ChatClientException)
        {
            // Already gone: that is what logout wanted.
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close(new ChatClientException(ErrorCodes.ConnectionClosed, "The client was closed."));
        await _receiveLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _stream.DisposeAsync().ConfigureAwait(false);
        await CloseDirectAsync().ConfigureAwait(false);
        StopActivityReports();

        // _writeLock is not disposed: a write still under way on another thread must be able to
        // release it (and fail as ConnectionClosed), and a semaphore without a wait handle holds
        // nothing that needs disposing.
    }

    // directId: for a relayed copy of a direct message that may have arrived, its id, so that the receiver keeps one.
    // room: a broadcast to that room's members rather than to everyone.
    private async Task<SendReceipt> SendMessageAsync(string type, string? to, string text, JsonElement? data, CancellationToken cancellationToken, string? directId = null, string? room = null)
    {
        var started = Stopwatch.GetTimestamp();
        var reply = await RequestAsync(type, (to, text, data, directId, room), static (w, s) =>
        {
            if (s.to is not null)
            {
                w.WriteString("to", s.to);
            }

            if (s.room is not null)
            {
                w.WriteString("room", s.room);
            }

            w.WriteString("text", s.text);
            if (s.data is { } value)
            {
                w.WritePropertyName("data");
                value.WriteTo(w);
            }

            if (s.directId is not null)
            {
                w.WriteString("directId", s.directId);
            }
        }, cancellationToken).ConfigureAwait(false);
        return ServerFrames.Sent(reply, MessageRoute.Relay, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Sends one request with a fresh id and waits for the frame that carries it as <c>re</c>.</summary>
    private async Task<JsonElement> RequestAsync<TState>(string type, TState state, Action<Utf8JsonWriter, TState> write, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            var frame = FrameWriter.Build(type, (id, state, write), static (w, s) =>
            {
                w.WriteNumber("id", s.id);
                s.write(w, s.state);
            });
            await WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            JsonElement answer;
            try
            {
                answer = await reply.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                throw new ChatClientException(ErrorCodes.Timeout, $"The server did not answer '{type}' within {_options.RequestTimeout.TotalSeconds:0.#} s.", innerException: ex);
            }

            if (ServerFrames.Type(answer) == "error")
            {
                throw ServerFrames.Error(answer);
            }

            return answer;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task WriteAsync(byte[] frame, CancellationToken cancellationToken)
    {
        if (!IsConnected)
        {
            throw CloseReason ?? new ChatClientException(ErrorCodes.ConnectionClosed, "The connection is closed.");
        }

        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Once started, a frame is written whole or the connection is given up: a write cut
            // short by the caller would glue the next frame onto half of this one.
            using var timeout = new CancellationTokenSource(_options.RequestTimeout);
            await _stream.WriteAsync(frame, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            var failure = CloseReason ?? new ChatClientException(ErrorCodes.ConnectionClosed, ex is OperationCanceledException ? "A write to the server did not finish in time." : "The connection to the server was lost.", innerException: ex);
            Close(failure);
            throw failure;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// A TLS server cannot tell a plain client until it says something: a ping makes it answer at once
    /// with tls_required instead of both sides waiting. A plain server just answers pong. A server
    /// that already turned us away may have closed: its reason is read as the first frame anyway.
    /// </summary>
    private static async Task SayPingAsync(Stream stream, CancellationToken cancellationToken)
    {
        try
        {
            await stream.WriteAsync(FrameWriter.Build("ping"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            // The receive loop finds the server's last frame, or the closed connection.
        }
    }

    private static string Describe(Exception ex) => ex is OperationCanceledException ? "timed out" : ex.Message;
}
