using PeerChat.Core.Server;

namespace PeerChat.Core.Tests;

/// <summary>The hold a login puts on its queue, so that its welcome goes first but only once the session is complete.</summary>
[Trait("Category", "Unit")]
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
    public async Task TheIdleTrim_KeepsWhatIsQueued_AndAQueueTrimmedEmptyTakesFramesAgain()
    {
        // The idle sweep lets go of an empty queue's storage; one with frames keeps them, in order.
        var queue = new OutboundQueue(1024, 10);
        queue.TryEnqueue(Welcome);
        queue.TrimWhenEmpty();
        var kept = new List<byte[]>();
        queue.DrainInto(kept, 1024);

        queue.TrimWhenEmpty();
        var waiting = queue.WaitToReadAsync();
        var completedWhileEmpty = waiting.IsCompleted;
        queue.TryEnqueue(Broadcast);
        queue.TryEnqueue(Welcome);
        var woken = await waiting.AsTask().WaitAsync(Support.TestServer.Patience);
        var batch = new List<byte[]>();
        queue.DrainInto(batch, 1024);

        Assert.Equal([Welcome], kept);
        Assert.False(completedWhileEmpty);
        Assert.True(woken);
        Assert.Equal([Broadcast, Welcome], batch);
        Assert.Equal(0, queue.QueuedFrames);
        Assert.Equal(0, queue.QueuedBytes);
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

/// <summary>The soft bound: a client that falls behind loses its oldest broadcasts, counted, before it is a slow consumer.</summary>
[Trait("Category", "Unit")]
public sealed class OutboundQueueSoftBoundTests
{
    private static byte[] Frame(char tag) => System.Text.Encoding.ASCII.GetBytes(new string(tag, 99) + "\n");

    private static BroadcastFrame Broadcast(char tag) => new(Frame(tag));

    [Fact]
    public void PastTheSoftBound_TheOldestBroadcastsGo_RepliesAndDirectMessagesStay_InOrder()
    {
        var queue = new OutboundQueue(maxBytes: 1000, maxFrames: 100, softBytes: 400, softFrames: 100);
        byte[] reply = Frame('r'), direct = Frame('d');
        BroadcastFrame first = Broadcast('1'), second = Broadcast('2'), third = Broadcast('3');

        queue.TryEnqueue(reply);
        queue.TryEnqueue(first);
        queue.TryEnqueue(second);
        queue.TryEnqueue(third);
        var result = queue.TryEnqueue(direct);
        var batch = new List<byte[]>();
        queue.DrainInto(batch, 10_000, out var dropped);
        queue.DrainInto([], 10_000, out var droppedAgain);

        Assert.Equal(OutboundQueue.Result.Queued, result);
        Assert.Equal([reply, third.Bytes, direct], batch);
        Assert.Equal(2, dropped);
        Assert.Equal(0, droppedAgain);
    }

    [Fact]
    public void OnlyFramesThatAreNeverDropped_ReachTheHardBound_AndABroadcastThenGoesItself()
    {
        var queue = new OutboundQueue(maxBytes: 1000, maxFrames: 100, softBytes: 400, softFrames: 100);
        var results = Enumerable.Range(0, 10).Select(_ => queue.TryEnqueue(Frame('d'))).ToList();

        var broadcast = queue.TryEnqueue(Broadcast('b'));
        var overflow = queue.TryEnqueue(Frame('d'));
        queue.DrainInto([], 10_000, out var dropped);

        Assert.All(results, r => Assert.Equal(OutboundQueue.Result.Queued, r));
        Assert.Equal(OutboundQueue.Result.Dropped, broadcast);
        Assert.Equal(OutboundQueue.Result.Overflow, overflow);
        Assert.Equal(1, dropped);
    }

    [Fact]
    public void TheSoftBoundInFrames_DropsTheOldestBroadcastsToo_AndAnEmptyQueueTakesAFrameLargerThanTheSoftBound()
    {
        var queue = new OutboundQueue(maxBytes: 100_000, maxFrames: 100, softBytes: 50_000, softFrames: 8);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(OutboundQueue.Result.Queued, queue.TryEnqueue(Broadcast('b')));
        }

        var frames = queue.QueuedFrames;
        queue.DrainInto([], 100_000, out var dropped);
        var large = queue.TryEnqueue(new BroadcastFrame(new byte[60_000]));

        Assert.InRange(frames, 1, 8);
        Assert.Equal(20, frames + dropped);
        Assert.Equal(OutboundQueue.Result.Queued, large);
    }
}
