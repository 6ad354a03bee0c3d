using System.Diagnostics;
using System.Globalization;
using System.Text;
using PeerChat.Core.Chat;
using PeerChat.Store.Sqlite;

namespace PeerChat.Bench;

/// <summary>
/// The SQLite message store on its own, in this process: sustained appends from many senders,
/// pages of 50 at random places in a conversation of a million messages, and this process's memory
/// before and after filling that history (it must not grow with the history). `store [--quick]`
/// runs it alone; `all --store` adds it to the full run.
/// </summary>
internal static class StoreBench
{
    private const int Senders = 64;
    private const int PageSize = 50;

    public static async Task<string> RunAsync(bool quick)
    {
        var folder = Directory.CreateTempSubdirectory("peerchat-store-bench-");
        try
        {
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture, $"### Message store (SQLite, WAL, synchronous=FULL; 64-byte texts; {Environment.ProcessorCount} cores)");
            report.AppendLine();
            report.AppendLine("| workload | messages | messages/s | append p50 ms | append p99 ms | messages per commit | writer time in statements / in COMMIT |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var senders in new[] { 64, 1000 })
            {
                await SustainedAsync(report, Path.Combine(folder.FullName, $"sustained{senders}.db"), senders, TimeSpan.FromSeconds(quick ? 3 : 10));
            }

            await HistoryAsync(report, Path.Combine(folder.FullName, "history.db"), quick ? 100_000 : 1_000_000);
            return report.ToString();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static MessageStoreSettings Settings() => new()
    {
        // Nothing is old or too many here: retention would only blur what is measured.
        HistoryMaxPerConversation = int.MaxValue,
        RetentionInterval = TimeSpan.FromDays(1),
    };

    // Every sender appends one message at a time (as a server's connections do: each waits for its
    // receipt), to one of 100 rooms or everyone.
    private static async Task SustainedAsync(StringBuilder report, string path, int senders, TimeSpan duration)
    {
        await using var store = SqliteMessageStore.Open(path, Settings());
        await AppendForAsync(store, TimeSpan.FromSeconds(1), _ => ConversationKey.Everyone, null);
        var latencies = Enumerable.Range(0, senders).Select(_ => new List<long>()).ToArray();
        var (groups, operations, work, commit) = (store.Writer.GroupsCommitted, store.Writer.OperationsCommitted, store.Writer.WorkTicks, store.Writer.CommitTicks);
        var started = Stopwatch.GetTimestamp();
        var appended = await AppendForAsync(store, duration, sender => sender % 10 == 0 ? ConversationKey.Everyone : ConversationKey.ForRoom($"room{sender % 100}"), latencies, senders);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var sorted = latencies.SelectMany(l => l).Order().ToArray();
        var perGroup = (store.Writer.OperationsCommitted - operations) / (double)Math.Max(1, store.Writer.GroupsCommitted - groups);
        var workShare = (store.Writer.WorkTicks - work) / (double)Stopwatch.Frequency / elapsed.TotalSeconds;
        var commitShare = (store.Writer.CommitTicks - commit) / (double)Stopwatch.Frequency / elapsed.TotalSeconds;

        report.AppendLine(CultureInfo.InvariantCulture, $"| sustained appends, {senders:N0} senders, {duration.TotalSeconds:0} s | {appended:N0} | {appended / elapsed.TotalSeconds:N0} | {Latency.Percentile(sorted, 0.5):0.00} | {Latency.Percentile(sorted, 0.99):0.00} | {perGroup:0} | {workShare:P0} / {commitShare:P0} |");
    }

    private static async Task HistoryAsync(StringBuilder report, string path, int size)
    {
        var room = ConversationKey.ForRoom("big");
        var random = new Random(12345);

        // Cursors at random places, chosen before the fill so that no list of a million ids is kept.
        var sampled = new HashSet<long>(Enumerable.Range(0, 2000).Select(_ => (long)random.Next(PageSize, size)));
        var cursors = new List<string>();
        var store = SqliteMessageStore.Open(path, Settings());
        var (rssEmpty, heapEmpty) = Memory();
        var filled = 0L;
        var started = Stopwatch.GetTimestamp();
        var (rssWarm, heapWarm) = (0L, 0L);
        await Task.WhenAll(Enumerable.Range(0, Senders).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var message = Message(room);
                var n = Interlocked.Increment(ref filled) - 1;
                if (n >= size)
                {
                    return;
                }

                await store.AppendAsync(message);
                if (sampled.Contains(n))
                {
                    lock (cursors)
                    {
                        cursors.Add(message.MessageId);
                    }
                }

                if (n == size / 10)
                {
                    (rssWarm, heapWarm) = Memory();
                }
            }
        })));
        var fillSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var (rssFull, heapFull) = Memory();

        var pages = await PagesAsync(store, room, cursors, random, 10_000);
        var latest = await PagesAsync(store, room, [null], random, 2_000);

        // Pages while 16 senders append to other rooms: the readers never wait for the writer.
        using var stop = new CancellationTokenSource();
        var writing = AppendForAsync(store, Timeout.InfiniteTimeSpan, sender => ConversationKey.ForRoom($"busy{sender}"), null, senders: 16, stop.Token);
        var pagesWhileWriting = await PagesAsync(store, room, cursors, random, 10_000);
        await stop.CancelAsync();
        var appendedMeanwhile = await writing;
        await store.DisposeAsync();

        var opened = Stopwatch.GetTimestamp();
        store = SqliteMessageStore.Open(path, Settings());
        var openMs = Stopwatch.GetElapsedTime(opened).TotalMilliseconds;
        await store.DisposeAsync();

        report.AppendLine(CultureInfo.InvariantCulture, $"| fill one room to {size:N0}, {Senders} senders | {size:N0} | {size / fillSeconds:N0} | | | | |");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Pages of {PageSize} from the room of {size:N0} messages ({new FileInfo(path).Length / 1048576.0:0} MiB file), one reader:");
        report.AppendLine();
        report.AppendLine("| page | pages | p50 ms | p99 ms | max ms |");
        report.AppendLine("|---|---:|---:|---:|---:|");
        report.AppendLine(PageRow("before a random cursor", pages));
        report.AppendLine(PageRow("latest (no cursor)", latest));
        report.AppendLine(PageRow($"before a random cursor, while 16 senders append ({appendedMeanwhile:N0} appended)", pagesWhileWriting));
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Reopening the {size:N0}-message store (quick_check included): {openMs:0} ms.");
        report.AppendLine();
        report.AppendLine("| this process | RSS MiB | managed heap MiB |");
        report.AppendLine("|---|---:|---:|");
        report.AppendLine(CultureInfo.InvariantCulture, $"| store open, empty | {rssEmpty / 1048576.0:0.0} | {heapEmpty / 1048576.0:0.0} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| after {size / 10:N0} messages | {rssWarm / 1048576.0:0.0} | {heapWarm / 1048576.0:0.0} |");
        report.AppendLine(CultureInfo.InvariantCulture, $"| after {size:N0} messages | {rssFull / 1048576.0:0.0} | {heapFull / 1048576.0:0.0} |");
    }

    private static async Task<long[]> PagesAsync(SqliteMessageStore store, ConversationKey room, IReadOnlyList<string?> cursors, Random random, int count)
    {
        var ticks = new long[count];
        for (var i = 0; i < count; i++)
        {
            var cursor = cursors[random.Next(cursors.Count)];
            var started = Stopwatch.GetTimestamp();
            var page = await store.ReadHistoryAsync(room, new HistoryQuery(PageSize, Before: cursor));
            ticks[i] = Stopwatch.GetTimestamp() - started;
            if (page.Messages.Count != PageSize)
            {
                throw new InvalidOperationException($"A page of {page.Messages.Count} messages before {cursor}.");
            }
        }

        Array.Sort(ticks);
        return ticks;
    }

    private static string PageRow(string name, long[] sorted) => string.Create(
        CultureInfo.InvariantCulture,
        $"| {name} | {sorted.Length:N0} | {Latency.Percentile(sorted, 0.5):0.000} | {Latency.Percentile(sorted, 0.99):0.000} | {sorted[^1] * 1000.0 / Stopwatch.Frequency:0.000} |");

    private static async Task<long> AppendForAsync(SqliteMessageStore store, TimeSpan duration, Func<int, ConversationKey> conversationOf, List<long>[]? latencies, int senders = Senders, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(duration);
        var counts = await Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            var conversation = conversationOf(sender);
            long appended = 0;
            while (!timeout.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                await store.AppendAsync(Message(conversation));
                latencies?[sender].Add(Stopwatch.GetTimestamp() - started);
                appended++;
            }

            return appended;
        })));
        return counts.Sum();
    }

    private static ChatMessage Message(ConversationKey conversation) =>
        new(MessageIds.Next(), conversation, "sender", "c1", null, "0123456789012345678901234567890123456789012345678901234567890123", null, null, DateTimeOffset.UtcNow);

    private static (long Rss, long Heap) Memory()
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        return (ProcessStats.Memory(Environment.ProcessId).Rss, heap);
    }
}
