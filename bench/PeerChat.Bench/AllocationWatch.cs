using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// For `serve` with PEERCHAT_BENCH_ALLOCATIONS=1 (a diagnostic run, not a measured one): the
/// runtime's allocation samples (one about every 100 KB) by type, and the thread pool's
/// thread-count changes by reason, read in process; the "alloc" command prints them.
/// </summary>
internal sealed class AllocationWatch : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const EventKeywords ThreadingKeyword = (EventKeywords)0x10000;

    private readonly ConcurrentDictionary<string, long> _bytesByType = new();
    private readonly ConcurrentDictionary<string, int> _adjustments = new();

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword | ThreadingKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventName is { } name && name.StartsWith("GCAllocationTick", StringComparison.Ordinal) && e.PayloadNames is { } names)
        {
            var type = e.Payload![names.IndexOf("TypeName")] as string ?? "?";
            var amount = Convert.ToInt64(e.Payload[names.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
            _bytesByType.AddOrUpdate(type, amount, (_, sum) => sum + amount);
        }
        else if (e.EventName is "ThreadPoolWorkerThreadAdjustmentAdjustment" && e.PayloadNames is { } adjustmentNames)
        {
            var key = $"{e.Payload![adjustmentNames.IndexOf("NewWorkerThreadCount")]}:{e.Payload[adjustmentNames.IndexOf("Reason")]}";
            _adjustments.AddOrUpdate(key, 1, (_, n) => n + 1);
        }
    }

    public string Report()
    {
        var text = new StringBuilder("ALLOC");
        foreach (var (type, bytes) in _bytesByType.OrderByDescending(p => p.Value).Take(40))
        {
            text.Append(CultureInfo.InvariantCulture, $"\n  {bytes / 1024,8} KiB sampled  {type}");
        }

        text.Append("\n  pool adjustments (new count:reason 0 warmup 1 init 2 random 3 climb 4 change 5 stabilize 6 starvation 7 timeout 8 blocking):");
        foreach (var (key, n) in _adjustments.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $" {key}x{n}");
        }

        return text.ToString();
    }
}
