using System.Net;
using PeerChat.Cluster.Redis;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Server;

namespace PeerChat.FaultHost;

/// <summary>
/// A node of a test cluster in a process of its own, so that a test can kill it with SIGKILL: it
/// prints "READY port" and serves until killed. Heartbeats are short, as in the in-process tests.
/// </summary>
internal static class ClusterNode
{
    public static async Task RunAsync(string redis, string prefix, string node, string users)
    {
        var store = await RedisMessageStore.ConnectAsync(redis, new MessageStoreSettings(), prefix);
        var backplane = RedisChatBackplane.Create(store, node, new ClusterSettings
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            HeartbeatTimeToLive = TimeSpan.FromSeconds(2),
            PollInterval = TimeSpan.FromMilliseconds(200),
        });
        var options = new ChatServerOptions { ListenAddress = IPAddress.Loopback, Port = 0, HashIterations = 1000, MessageStore = store, Backplane = backplane };
        var server = new ChatServer(options, CsvUserStore.Open(users));
        server.Start();
        Console.WriteLine($"READY {server.Port}");
        await Task.Delay(Timeout.Infinite);
    }
}
