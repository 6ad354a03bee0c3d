using System.Net;
using System.Net.Sockets;

namespace PeerChat.Core.Server;

/// <summary>The web listener (docs/WEB.md): the page, and WebSocket into the same server, chat and limits.</summary>
public sealed partial class ChatServer
{
    private Socket? _webListener;
    private Task _webAcceptLoop = Task.CompletedTask;

    /// <summary>The web listener's bound endpoint; null when it is off (<see cref="ChatServerOptions.WebPort"/>).</summary>
    public IPEndPoint? WebEndPoint { get; private set; }

    /// <summary>The web listener's port, the real one when WebPort was 0; 0 when it is off.</summary>
    public int WebPort => WebEndPoint?.Port ?? 0;

    private void BindWebListener()
    {
        if (Options.WebPort is not { } port)
        {
            return;
        }

        var listener = Listen(port);
        _webListener = listener;
        WebEndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>A web exchange that did not become a connection has ended: what Admit counted is given back.</summary>
    internal void OnWebExchangeEnded(IPAddress address)
    {
        ReleasePending(address);
        Interlocked.Decrement(ref _connectionCount);
        OnConnectionFinished();
    }
}
