using System.Net;

namespace PeerChat.Core.Server;

/// <summary>
/// What the server's sweeps and its stop need of a connection, whatever protocol it speaks
/// (peerchat/1: <see cref="ClientConnection"/>; IRC: <see cref="Irc.IrcConnection"/>).
/// </summary>
internal interface IServerConnection
{
    string ClientId { get; }

    /// <summary>Where the server's <see cref="ConnectionTable"/> holds the connection; -1 while it holds it nowhere.</summary>
    int TableSlot { get; set; }

    /// <summary>The remote end as <c>ip:port</c> (<c>[v6]:port</c>).</summary>
    string Address { get; }

    /// <summary>What per-address limits count the connection under: its IPv4 address or its IPv6 /64.</summary>
    IPAddress AddressGroup { get; }

    /// <summary>Runs the connection to its end; never throws.</summary>
    Task RunAsync();

    /// <summary>Starts the connection, which then runs to its end by itself; never throws.</summary>
    void Start() => _ = RunAsync();

    /// <summary>Called by the write watchdog; see <see cref="ClientConnection.CheckWriteDeadline"/>.</summary>
    void CheckWriteDeadline(long nowTimestamp);

    /// <summary>Called by the idle sweep; see <see cref="ClientConnection.CheckIdleWindow"/>.</summary>
    void CheckIdleWindow(long nowTicks);

    /// <summary>Closes in order, telling the client (in its protocol) that the server stops.</summary>
    void RequestShutdown();

    /// <summary>Cuts the connection at once, without flushing.</summary>
    void Abort(string reason);
}
