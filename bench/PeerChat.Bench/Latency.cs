using System.Diagnostics;

namespace PeerChat.Bench;

/// <summary>Percentiles of latencies measured in Stopwatch ticks, in milliseconds.</summary>
internal static class Latency
{
    public static double Percentile(long[] sortedTicks, double fraction) =>
        sortedTicks.Length == 0 ? double.NaN : sortedTicks[(int)Math.Min(sortedTicks.Length - 1, fraction * sortedTicks.Length)] * 1000.0 / Stopwatch.Frequency;
}
