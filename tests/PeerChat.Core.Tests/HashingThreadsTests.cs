using PeerChat.Core.Server;

namespace PeerChat.Core.Tests;

/// <summary>Password hashes run on threads of their own, so a storm of logins leaves the thread pool to everyone else.</summary>
[Trait("Category", "Unit")]
public sealed class HashingThreadsTests
{
    [Fact]
    public async Task Work_RunsOffTheThreadPool_AndItsResultAndFaultsComeBack()
    {
        var onPool = await HashingThreads.RunAsync(() => Thread.CurrentThread.IsThreadPoolThread).WaitAsync(Support.TestServer.Patience);
        var fault = await Assert.ThrowsAsync<InvalidOperationException>(() => HashingThreads.RunAsync<int>(() => throw new InvalidOperationException("hash failed")).WaitAsync(Support.TestServer.Patience));

        Assert.False(onPool);
        Assert.Equal("hash failed", fault.Message);
    }
}
