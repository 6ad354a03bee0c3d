using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Fan-out, one sender to 50, 500 and 2,000 receivers, on several servers in the same run: PeerChat
/// against nats-server, or PeerChat's IRC gateway against ngIRCd and InspIRCd in one IRC channel
/// (issue 16). PeerChat's median run is compared with the fastest of the others'.
/// </summary>
internal static class FanOutTable
{
    /// <summary>One server under test: its process (for RSS and CPU) and how to talk to it.</summary>
    public sealed record Target(ChildProcess Process, ChatSystem System);

    /// <param name="heading">The table's heading, without its count of runs.</param>
    public static async Task<string> BuildAsync(IReadOnlyList<Target> targets, string heading, bool quick)
    {
        // The same warm-up for all (PeerChat's code is compiled just in time; see ThroughputAsync).
        foreach (var target in targets)
        {
            for (var round = 0; round < 3; round++)
            {
                await FanOut.RunAsync(target.System, 50, quick ? 2_000 : 20_000, window: 200);
            }

            await Servers.WaitForDisconnectsAsync();
        }

        // Three runs at each size, the systems in a rotated order each time so that a slow spell of
        // this shared machine touches all alike; the median run of each system is reported.
        var runs = quick ? 1 : 3;
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"### {heading}; median of {runs} run(s))");
        table.AppendLine();
        table.AppendLine("| receivers | system | deliveries/s | p50 ms | p99 ms | lost | server peak RSS MiB | server CPU s (sending) | generator CPU s (sending) | runs (deliveries/s) | ratio |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        foreach (var receivers in new[] { 50, 500, 2000 })
        {
            var messages = Math.Max(200, (quick ? 200_000 : 2_000_000) / receivers);
            var rows = targets.Select(_ => new List<Row>()).ToArray();
            for (var run = 0; run < runs; run++)
            {
                for (var k = 0; k < targets.Count; k++)
                {
                    var i = (k + run) % targets.Count;
                    rows[i].Add(await RunOnceAsync(targets[i], receivers, messages));
                }
            }

            var medians = rows.Select(r => r.OrderBy(x => x.Result.DeliveriesPerSecond).ElementAt(r.Count / 2)).ToArray();

            // PeerChat against the fastest of the others (the targets: at least 1.0×).
            var peers = medians.Where(r => !IsPeerChat(r.Result.System)).ToArray();
            var fastestPeer = peers.Max(r => r.Result.DeliveriesPerSecond);
            var against = peers.Length == 1 ? peers[0].Result.System : "faster peer";
            for (var i = 0; i < medians.Length; i++)
            {
                var (r, peak, serverCpu, generatorCpu) = medians[i];
                var all = string.Join(" / ", rows[i].Select(x => x.Result.DeliveriesPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
                var lost = rows[i].Sum(x => x.Result.Lost);
                var ratio = IsPeerChat(r.System) ? $"{r.DeliveriesPerSecond / fastestPeer:0.00}× {against}" : string.Empty;
                table.AppendLine(CultureInfo.InvariantCulture, $"| {r.Receivers} | {r.System} | {r.DeliveriesPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {lost} | {peak / 1048576.0:0.0} | {serverCpu.TotalSeconds:0.0} | {generatorCpu.TotalSeconds:0.0} | {all} | {ratio} |");
            }
        }

        return table.ToString();
    }

    private sealed record Row(FanOut.Result Result, long Peak, TimeSpan ServerCpu, TimeSpan GeneratorCpu);

    private static async Task<Row> RunOnceAsync(Target target, int receivers, int messages)
    {
        // Memory and CPU from the first message on: the logins and JOINs before it (on IRC each JOIN
        // is told to the whole channel, 4 million lines at 2,000 receivers) are not what the table compares.
        var pid = target.Process.Pid;
        var (serverCpu, generatorCpu) = (TimeSpan.Zero, TimeSpan.Zero);
        var result = await FanOut.RunAsync(target.System, receivers, messages, window: 200, connected: () =>
        {
            ProcessStats.ResetPeak(pid);
            (serverCpu, generatorCpu) = (ProcessStats.Cpu(pid), Process.GetCurrentProcess().TotalProcessorTime);
        });
        var row = new Row(result, ProcessStats.Memory(pid).Peak, ProcessStats.Cpu(pid) - serverCpu, Process.GetCurrentProcess().TotalProcessorTime - generatorCpu);
        await Servers.WaitForDisconnectsAsync();
        return row;
    }

    private static bool IsPeerChat(string system) => system.StartsWith("PeerChat", StringComparison.Ordinal);
}
