using PeerChat.Cluster.Redis;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// A script that Redis runs and that fails (a bug, or data another version wrote) is reported as
/// that, with Redis's message, and not as Redis being unreachable (docs/CLUSTER.md, "Versions and errors").
/// </summary>
public sealed class ClusterStoreErrorTests
{
    [RedisFact]
    public async Task AScriptError_IsReportedWithRedisMessage_NotAsRedisUnavailable()
    {
        await using var cluster = await TestCluster.StartAsync(1);
        var node = cluster.Nodes[0];
        var alice = await node.LoginAsync("alice");

        // Data this version does not read: the conversation of everyone as a string, not a stream.
        var redis = ((RedisMessageStore)node.Server.Options.MessageStore!).Database;
        await redis.StringSetAsync(cluster.Prefix + "c:*", "not a stream");

        var refused = await Assert.ThrowsAsync<ChatClientException>(() => alice.BroadcastAsync("hello"));
        Assert.Equal(ErrorCodes.StoreUnavailable, refused.Code);
        var failed = await node.WaitForEventAsync<MessageStoreFailedEvent>();
        Assert.Equal("append", failed.Operation);
        Assert.Contains("WRONGTYPE", failed.Reason, StringComparison.Ordinal);
        Assert.Contains("answered an error", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("unavailable", failed.Reason, StringComparison.OrdinalIgnoreCase);
    }
}
