using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Fan-out to WebSocket receivers (issue 17): one sender's broadcasts to 500 receivers over /ws
/// (peerchat.v1) against the same to 500 receivers over plain peerchat/1, on one server, in one run.
/// The sender speaks the receivers' transport. Rounds alternate which goes first, so neither gains
/// from a machine that warms or cools during the run.
/// </summary>
internal static class WebFanOutTable
{
    public static async Task<string> BuildAsync(ChildProcess server, PeerChatSystem plain, PeerChatWebSocketSystem web, bool quick)
    {
        // The same warm-up for both (PeerChat's code is compiled just in time; see ThroughputAsync).
        foreach (var system in new PeerChatSystem[] { plain, web })
        {
            for (var round = 0; round < 3; round++)
            {
                await FanOut.RunAsync(system, 50, quick ? 2_000 : 20_000, window: 200);
            }

            await Servers.WaitForDisconnectsAsync();
        }

        const int receivers = 500;
        var messages = (quick ? 200_000 : 2_000_000) / receivers;
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"### WebSocket fan-out ({receivers} receivers, {messages:N0} broadcasts of 64 bytes, 200 in flight; one server, message store on; /ws with peerchat.v1 through the benchmark's own WebSocket client, which reads in bulk as the plain one does, against plain peerchat/1)");
        table.AppendLine();
        table.AppendLine("| round | system | deliveries/s | p50 ms | p99 ms | lost | server peak RSS MiB | server CPU s | generator CPU s | WebSocket / plain |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var ratios = new List<double>();
        for (var round = 1; round <= (quick ? 1 : 3); round++)
        {
            var order = round % 2 == 1 ? new PeerChatSystem[] { plain, web } : [web, plain];
            var rows = new Dictionary<PeerChatSystem, (FanOut.Result Result, long Peak, TimeSpan ServerCpu, TimeSpan GeneratorCpu)>();
            foreach (var system in order)
            {
                ProcessStats.ResetPeak(server.Pid);
                var (serverCpu, generatorCpu) = (ProcessStats.Cpu(server.Pid), Process.GetCurrentProcess().TotalProcessorTime);
                var result = await FanOut.RunAsync(system, receivers, messages, window: 200);
                rows[system] = (result, ProcessStats.Memory(server.Pid).Peak, ProcessStats.Cpu(server.Pid) - serverCpu, Process.GetCurrentProcess().TotalProcessorTime - generatorCpu);
                await Servers.WaitForDisconnectsAsync();
            }

            var ratio = rows[web].Result.DeliveriesPerSecond / rows[plain].Result.DeliveriesPerSecond;
            ratios.Add(ratio);
            foreach (var system in order)
            {
                var (r, peak, serverCpu, generatorCpu) = rows[system];
                var shown = system == web ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : string.Empty;
                table.AppendLine(CultureInfo.InvariantCulture, $"| {round} | {r.System} | {r.DeliveriesPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {r.Lost} | {peak / 1048576.0:0.0} | {serverCpu.TotalSeconds:0.0} | {generatorCpu.TotalSeconds:0.0} | {shown} |");
            }
        }

        table.AppendLine();
        table.AppendLine(CultureInfo.InvariantCulture, $"WebSocket / plain over the rounds: {string.Join(", ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; mean {ratios.Average():0.00}× (issue 17's target: at least 0.8×).");
        return table.ToString();
    }
}
