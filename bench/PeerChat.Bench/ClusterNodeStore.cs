using PeerChat.Cluster.Redis;
using PeerChat.Core.Chat;

namespace PeerChat.Bench;

/// <summary>
/// The "serve" mode's store and backplane as a node of a cluster (docs/CLUSTER.md), as
/// Start-PeerChatServer -Cluster -NodeName makes them: the default key prefix and timings.
/// </summary>
internal sealed record ClusterNodeStore(RedisMessageStore Store, IChatBackplane Backplane)
{
    public static async Task<ClusterNodeStore> OpenAsync(string configuration, string node)
    {
        var store = await RedisMessageStore.ConnectAsync(configuration, new MessageStoreSettings());
        return new ClusterNodeStore(store, RedisChatBackplane.Create(store, node));
    }
}
