using System.Net;
using System.Net.Sockets;

namespace PeerChat.Core.Server;

/// <summary>The IRC gateway's listener: a second port into the same server, chat and limits.</summary>
public sealed partial class ChatServer
{
    private Socket? _ircListener;
    private Task _ircAcceptLoop = Task.CompletedTask;

    /// <summary>The IRC gateway's bound endpoint; null when it is off (<see cref="ChatServerOptions.IrcPort"/>).</summary>
    public IPEndPoint? IrcEndPoint { get; private set; }

    /// <summary>The IRC gateway's port, the real one when IrcPort was 0; 0 when the gateway is off.</summary>
    public int IrcPort => IrcEndPoint?.Port ?? 0;

    /// <summary>When the gateway began listening (its 003 reply).</summary>
    internal DateTimeOffset IrcStartedAt { get; private set; }

    private void BindIrcGateway()
    {
        if (Options.IrcPort is not { } port)
        {
            return;
        }

        var listener = Listen(port);
        _ircListener = listener;
        IrcStartedAt = Now;
        IrcEndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }
}
