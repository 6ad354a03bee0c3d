using System.Buffers.Binary;
using System.Diagnostics;
using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;
using Xunit.Abstractions;

namespace PeerChat.Core.Tests;

/// <summary>
/// The WAL under appends that never pause: SQLite starts it over only when a write begins with
/// every frame checkpointed, which the background checkpoint alone never sees while the writer
/// keeps adding frames (without the writer's own checkpoint this test's WAL grew to 240-300 MB in
/// 8 s, with one restart after the warm-up). Once it is large the writer finishes a checkpoint
/// itself, and the WAL starts over.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class MessageStoreWalTests(ITestOutputHelper output)
{
    // 1 MiB of 4 KiB pages: reached within the first appends below.
    private const long LargeWalFrames = 256;

    private const int Senders = 32;
    private const int InFlightPerSender = 8;
    private const int MaxAppendsPerSender = 10_000;

    // Restarts are counted once this many appends were made, when the WAL is well past its limit:
    // while it is small, at the start, the background checkpoint alone can catch up now and then.
    private const int WarmUpAppends = 8_000;

    private const int RestartsWanted = 4;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task UnderSustainedAppends_TheWalStartsOver_InsteadOfGrowingWithEveryCommit()
    {
        using var folder = new TemporaryFolder();
        await using var store = StoreFiles.Open(folder);
        store.Writer.Checkpointer.LargeWalFrames = LargeWalFrames;
        var wal = store.Path + "-wal";
        var text = new string('x', 200);
        var clock = Stopwatch.StartNew();
        var issued = 0;
        long warmSequence = -1;
        long restarts = 0;

        // Each sender keeps appends in flight the whole time, to a conversation of its own (so a
        // group's index entries fall on many pages, as with many busy pairs), so the writer finds
        // its next group waiting after every commit. They stop once the WAL has started over
        // often enough after the warm-up, or at the bounds.
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            var conversation = ConversationKey.Direct($"sender{sender}", "receiver");
            var inFlight = new Queue<Task>();
            for (var i = 0; i < MaxAppendsPerSender && Interlocked.Read(ref restarts) < RestartsWanted && clock.Elapsed < Deadline; i++)
            {
                if (inFlight.Count == InFlightPerSender)
                {
                    await inFlight.Dequeue();
                }

                inFlight.Enqueue(store.AppendAsync(StoreFiles.Message(conversation, $"sender{sender}", text)).AsTask());
                var made = Interlocked.Increment(ref issued);
                if (made == WarmUpAppends)
                {
                    Interlocked.Exchange(ref warmSequence, CheckpointSequence(wal));
                }
                else if (made > WarmUpAppends && i % 50 == 0 && Interlocked.Read(ref warmSequence) is >= 0 and var warm)
                {
                    InterlockedMax(ref restarts, CheckpointSequence(wal) - warm);
                }
            }

            await Task.WhenAll(inFlight);
        }))).WaitAsync(Deadline + TimeSpan.FromSeconds(30));

        output.WriteLine($"WAL restarts after the warm-up {restarts}, appends {issued} in {clock.Elapsed.TotalSeconds:F1} s, WAL {new FileInfo(wal).Length} bytes, writer checkpoints {store.Writer.Checkpointer.CatchUps}");
        Assert.NotEqual(-1, warmSequence);
        Assert.InRange(restarts, RestartsWanted, long.MaxValue);
    }

    /// <summary>The WAL header's checkpoint sequence number (bytes 12-15, big-endian), which SQLite increments each time the WAL starts over.</summary>
    private static uint CheckpointSequence(string walPath)
    {
        using var file = new FileStream(walPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[16];
        file.ReadExactly(header);
        return BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }
}
