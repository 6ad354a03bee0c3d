using PeerChat.Core.Server;

namespace PeerChat.Core.Tests;

/// <summary>The hold a login puts on its queue, so that its welcome goes first but only once the session is complete.</summary>
public sealed class OutboundQueueTests
{
    private static readonly byte[] Welcome = "welcome\n"u8.ToArray();
    private static readonly byte[] Broadcast = "broadcast\n"u8.ToArray();

    [Fact]
    public async Task WhileHeld_TheReaderGetsNothing_AndOnReleaseGetsEveryFrameInOrder()
    {
        var queue = new OutboundQueue(1024, 10);
        var waiting = queue.WaitToReadAsync();

        queue.Hold();
        queue.TryEnqueue(Welcome);
        queue.TryEnqueue(Broadcast);
        var completedWhileHeld = waiting.IsCompleted;
        queue.Release();
        var woken = await waiting.AsTask().WaitAsync(Support.TestServer.Patience);
        var batch = new List<byte[]>();
        queue.DrainInto(batch, 1024);

        Assert.False(completedWhileHeld, "the reader was woken while the queue was held");
        Assert.True(woken);
        Assert.Equal([Welcome, Broadcast], batch);
    }

    [Fact]
    public async Task AReaderAlreadyAwake_DrainsNothingWhileHeld()
    {
        var queue = new OutboundQueue(1024, 10);
        queue.TryEnqueue(Broadcast);
        var awake = await queue.WaitToReadAsync();

        queue.Hold();
        queue.TryEnqueue(Welcome);
        var batch = new List<byte[]>();
        var drainedWhileHeld = queue.DrainInto(batch, 1024);
        var waitWhileHeld = queue.WaitToReadAsync();
        var completedWhileHeld = waitWhileHeld.IsCompleted;
        queue.Release();

        Assert.True(awake);
        Assert.Equal(0, drainedWhileHeld);
        Assert.False(completedWhileHeld);
        Assert.True(waitWhileHeld.IsCompleted);
    }

    [Fact]
    public async Task ACloseWhileHeld_FlushesWhatIsHeld_ThenEnds()
    {
        var queue = new OutboundQueue(1024, 10);
        queue.Hold();
        queue.TryEnqueue(Welcome);

        queue.CompleteWith(Broadcast);
        var batch = new List<byte[]>();
        var first = await queue.WaitToReadAsync();
        queue.DrainInto(batch, 1024);
        var afterDrain = await queue.WaitToReadAsync();

        Assert.True(first);
        Assert.Equal([Welcome, Broadcast], batch);
        Assert.False(afterDrain);
    }
}
