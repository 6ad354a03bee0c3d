// Signs up user<first>, user<first+1>, ... through a real server and client over loopback, one at a
// time, and prints "ACK <name>" once the server has answered ok: from then on the account must
// survive anything, SIGKILL included. Runs until killed (or <count> accounts).
// `store <path> <senders> <perSender>` appends to a message store instead (StoreAppender);
// `server <messages.db> <users.csv> <senders>` and `history <messages.db> <users.csv>` run a server
// with a message store and clients that send, or read the history back (ServerSenders).
// `cluster-node <redis> <prefix> <node> <users.csv>` runs a node of a cluster (ClusterNode).
using System.Net;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.Core.Server;

if (args[0] == "store")
{
    await PeerChat.FaultHost.StoreAppender.RunAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args[0] == "server")
{
    await PeerChat.FaultHost.ServerSenders.RunAsync(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args[0] == "cluster-node")
{
    await PeerChat.FaultHost.ClusterNode.RunAsync(args[1], args[2], args[3], args[4]);
    return;
}

if (args[0] == "history")
{
    await PeerChat.FaultHost.ServerSenders.ReadHistoryAsync(args[1], args[2]);
    return;
}

var storePath = args[0];
var first = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var count = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);

var options = new ChatServerOptions { ListenAddress = IPAddress.Loopback, Port = 0, HashIterations = 1, SignupsPerAddressPerMinute = 1_000_000, FloodBurst = 1_000_000, FloodRate = 1_000_000 };
await using var server = new ChatServer(options, CsvUserStore.Open(storePath));
server.Start();
await using var client = await ChatClient.ConnectAsync("127.0.0.1", server.Port, new ChatClientOptions { EnableDirect = false });
Console.Out.Flush();
Console.WriteLine("READY");
for (var i = first; i < first + count; i++)
{
    var name = $"user{i}";
    await client.SignUpAsync(name, "fault-test-password");
    Console.WriteLine($"ACK {name}");
}
