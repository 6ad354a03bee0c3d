using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Text;

namespace PeerChat.PowerShell.Objects;

/// <summary>One online client, as <c>Get-PeerChatClient</c> lists it.</summary>
public sealed class PeerChatClientInfo
{
    internal PeerChatClientInfo(ClientInfo client, PeerChatSession session)
    {
        ClientId = client.ClientId;
        UserName = client.UserName;
        Address = client.Address;
        PeerEndpoint = client.PeerEndpoint;
        ConnectedAt = client.ConnectedAt.LocalDateTime;
        LastActiveAt = client.LastActiveAt.LocalDateTime;
        RequestCount = client.Messages;
        Via = client.Via;
        Node = client.Node;
        IsSelf = client.ClientId == session.ClientId;
        Session = session;
    }

    public string ClientId { get; }

    /// <summary>Binds by property name to <c>Send-PeerChatMessage -UserName</c>.</summary>
    public string UserName { get; }

    public string Address { get; }

    public string? PeerEndpoint { get; }

    public DateTime ConnectedAt { get; }

    public DateTime LastActiveAt { get; }

    /// <summary>
    /// The user requests the server counted since login (broadcasts, direct messages relayed or
    /// reported, lists, requests for a direct connection; not pings): what the idle rule counts.
    /// </summary>
    public int RequestCount { get; }

    public bool IsSelf { get; }

    /// <summary>How the client is connected: <c>peerchat</c> (peerchat/1, as PowerShell sessions are) or <c>irc</c> (through the IRC gateway); null from a server that does not say.</summary>
    public string? Via { get; }

    /// <summary>The cluster node the client is logged in on (docs/CLUSTER.md); null when the server is not clustered.</summary>
    public string? Node { get; }

    /// <summary>The session that listed this client.</summary>
    public PeerChatSession Session { get; }

    public override string ToString() => DisplayText.Escape(UserName);
}
