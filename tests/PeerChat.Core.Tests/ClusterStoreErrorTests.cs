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

    // Redis 6 wraps an error of a command inside a script (the redis-server here is 7, which
    // answers the command's own code, so these are Redis 6's messages as it writes them).
    [Theory]
    [InlineData("ERR Error running script (call to f_0a1b): @user_script:12: @user_script: 12: -OOM command not allowed when used memory > 'maxmemory'. ", false)]
    [InlineData("ERR Error running script (call to f_0a1b): @user_script:5: @user_script: 5: -READONLY You can't write against a read only replica. ", false)]
    [InlineData("READONLY You can't write against a read only replica. script: 0a1b, on @user_script:5.", false)]
    [InlineData("ERR Error running script (call to f_0a1b): @user_script:5: @user_script: 5: -WRONGTYPE Operation against a key holding the wrong kind of value ", true)]
    [InlineData("ERR user_script:3: Script attempted to access nonexistent global variable 'x' script: 0a1b, on @user_script:3.", true)]
    public void AnErrorInsideAScript_IsUnavailableOnlyForTheCodesRedisAnswersWhileItCannotServe(string message, bool isError)
    {
        var exception = new StackExchange.Redis.RedisServerException(StackExchange.Redis.RedisErrorKind.Unknown, StackExchange.Redis.CommandFlags.None, message);
        Assert.Equal(isError, RedisErrors.IsError(exception));
        Assert.Equal(!isError, RedisErrors.IsUnreachable(exception));
    }
}
