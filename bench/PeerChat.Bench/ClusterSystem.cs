using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace PeerChat.Bench;

/// <summary>
/// PeerChat over peerchat/1 on several nodes of one cluster: each user logs in on the node
/// <see cref="Place"/> picks for its name, so one workload (fan-out, ping-pong) runs with its clients
/// spread over the nodes. <see cref="ChatSystem.Server"/> is the first node's.
/// </summary>
internal sealed class ClusterSystem : ChatSystem
{
    private readonly PeerChatSystem[] _nodes;

    [SetsRequiredMembers]
    public ClusterSystem(string name, IReadOnlyList<IPEndPoint> nodes, Func<string, int> place)
    {
        Name = name;
        Server = nodes[0];
        _nodes = nodes.Select(n => new PeerChatSystem { Server = n }).ToArray();
        Place = place;
    }

    public override string Name { get; }

    /// <summary>The index of the node a user logs in on.</summary>
    public Func<string, int> Place { get; }

    /// <summary>r0, r1, r2, ... round the nodes; the sender (and anyone else) on the first.</summary>
    public static int Spread(string user, int nodes) =>
        user.StartsWith('r') ? int.Parse(user.AsSpan(1), CultureInfo.InvariantCulture) % nodes : 0;

    /// <summary>pa0, pa1, ... on the first node, their partners pb0, pb1, ... on the second.</summary>
    public static int PairsApart(string user) => user.StartsWith("pb", StringComparison.Ordinal) ? 1 : 0;

    public override Task<LineConnection> ConnectReceiverAsync(string name, IPAddress? local = null) => _nodes[Place(name)].ConnectReceiverAsync(name, local);

    public override Task<LineConnection> ConnectSenderAsync(string name) => _nodes[Place(name)].ConnectSenderAsync(name);

    public override byte[] PublishFrame(string payload) => _nodes[0].PublishFrame(payload);

    public override byte[] DirectFrame(string to, string payload) => _nodes[0].DirectFrame(to, payload);

    public override Task<string?> ReceiveAsync(LineConnection connection, CancellationToken cancellationToken) => _nodes[0].ReceiveAsync(connection, cancellationToken);
}
