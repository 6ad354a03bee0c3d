using System.Buffers.Binary;
using PeerChat.Core.Chat;
using PeerChat.Core.Tests.Support;
using PeerChat.Store.Sqlite;
using Xunit.Abstractions;

namespace PeerChat.Core.Tests;

/// <summary>
/// The WAL under appends that never pause: SQLite starts it over only when a write begins with
/// every frame checkpointed, which the background checkpoint alone never sees while the writer
/// keeps adding frames (the file then grows with every commit: to 51 MB in this test's 2 s, without
/// a restart in its second half). Once it is large the writer finishes a checkpoint itself, and the WAL starts over.
/// </summary>
public sealed class MessageStoreWalTests(ITestOutputHelper output)
{
    // 1 MiB of 4 KiB pages: reached within a fraction of the appends below.
    private const long LargeWalFrames = 256;

    private const int Senders = 32;
    private const int InFlightPerSender = 8;
    private const int AppendsPerSender = 1500;

    [Fact]
    public async Task UnderSustainedAppends_TheWalStartsOver_InsteadOfGrowingWithEveryCommit()
    {
        using var folder = new TemporaryFolder();
        await using var store = StoreFiles.Open(folder);
        store.Writer.Checkpointer.LargeWalFrames = LargeWalFrames;
        var wal = new FileInfo(store.Path + "-wal");
        long largest = 0;
        var text = new string('x', 200);
        var issued = 0;
        long halfwaySequence = -1;

        // Each sender keeps appends in flight the whole time, to a conversation of its own (so a
        // group's index entries fall on many pages, as with many busy pairs), so the writer finds
        // its next group waiting after every commit.
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(sender => Task.Run(async () =>
        {
            var conversation = ConversationKey.Direct($"sender{sender}", "receiver");
            var inFlight = new Queue<Task>();
            for (var i = 0; i < AppendsPerSender; i++)
            {
                if (inFlight.Count == InFlightPerSender)
                {
                    await inFlight.Dequeue();
                }

                inFlight.Enqueue(store.AppendAsync(StoreFiles.Message(conversation, $"sender{sender}", text)).AsTask());
                if (Interlocked.Increment(ref issued) == Senders * AppendsPerSender / 2)
                {
                    // Restarts are counted from halfway, where the WAL is well past its limit: early
                    // on, while it is small, the background checkpoint alone can catch up now and then.
                    Interlocked.Exchange(ref halfwaySequence, CheckpointSequence(wal.FullName));
                }

                if (i % 100 == 0)
                {
                    wal.Refresh();
                    InterlockedMax(ref largest, wal.Exists ? wal.Length : 0);
                }
            }

            await Task.WhenAll(inFlight);
        })));

        wal.Refresh();
        InterlockedMax(ref largest, wal.Length);
        var restarts = CheckpointSequence(wal.FullName) - halfwaySequence;
        output.WriteLine($"WAL restarts in the second half {restarts}, largest {largest} bytes, at the end {wal.Length}, groups {store.Writer.GroupsCommitted}");

        // The WAL's header counts its restarts. The size it reaches between two depends on how
        // much the writer commits while the checkpointer looks (every 200 ms), so it is shown, not asserted.
        Assert.InRange(restarts, 1, long.MaxValue);
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
