using System.Net;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Server;

/// <summary>
/// The bytes on the wire under one connection, whatever carries them: a plain socket, TLS, or a
/// WebSocket (<see cref="SocketTransport"/>, <see cref="WebSocketTransport"/>). The front ends
/// (peerchat/1, IRC) read and write lines through it and never see which it is.
/// </summary>
internal abstract class ConnectionTransport : IAsyncDisposable
{
    /// <summary>
    /// The client's end, IPv4-mapped addresses as IPv4. Read from the socket, which keeps it, rather
    /// than held here a second time: a connection reads it once, as it starts.
    /// </summary>
    public abstract IPEndPoint RemoteEndPoint { get; }

    /// <summary><paramref name="remoteEndPoint"/> with an IPv4-mapped address as IPv4.</summary>
    protected static IPEndPoint Unmapped(IPEndPoint remoteEndPoint) =>
        remoteEndPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(remoteEndPoint.Address.MapToIPv4(), remoteEndPoint.Port) : remoteEndPoint;

    /// <summary>True when the lines travel as WebSocket messages (the client list shows it).</summary>
    public virtual bool IsWebSocket => false;

    /// <summary>Before the first read: the TLS handshake where there is one.</summary>
    public virtual ValueTask<TransportStart> StartAsync(CancellationToken cancellationToken) => ValueTask.FromResult(TransportStart.Ready);

    /// <summary>
    /// Reads into <paramref name="memory"/>; 0 when the client has closed. An empty
    /// <paramref name="memory"/> waits until bytes are there without taking any, so that an idle
    /// connection holds no receive buffer.
    /// </summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> memory, CancellationToken cancellationToken);

    /// <summary>Writes all of <paramref name="bytes"/> (whole lines, each ending in LF), or throws.</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>Everything is written: tells the client no more comes (<paramref name="reason"/> is why the connection ends).</summary>
    public abstract ValueTask CloseOutputAsync(string reason, CancellationToken cancellationToken);

    /// <summary>Cuts the connection at once: a read or write under way ends with an exception.</summary>
    public abstract void Abort();

    public abstract ValueTask DisposeAsync();
}

/// <summary>What ends a connection whose transport did not start: its close reason, whatever the protocol.</summary>
internal static class TransportStartReasons
{
    /// <summary>The reason to close with; null when lines may flow (or a plain-text client can still be told).</summary>
    public static string? FailureReason(this TransportStart start) => start switch
    {
        TransportStart.Ready or TransportStart.PlainTextOnTlsPort => null,
        TransportStart.TimedOut => ErrorCodes.AuthTimeout,
        TransportStart.HandshakeFailed => "tls_handshake_failed",
        _ => CloseReasons.ClientClosed,
    };
}

/// <summary>How <see cref="ConnectionTransport.StartAsync"/> went.</summary>
internal enum TransportStart
{
    /// <summary>Lines may flow.</summary>
    Ready,

    /// <summary>The port speaks TLS and the client began in plain text: it can still be told so in plain text.</summary>
    PlainTextOnTlsPort,

    /// <summary>The client closed before sending anything.</summary>
    Closed,

    /// <summary>The handshake was cut by the connection's deadline.</summary>
    TimedOut,

    /// <summary>The TLS handshake failed.</summary>
    HandshakeFailed,
}

