using System.Globalization;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Relay ping-pong against every peer (issue 18): PeerChat by default (and in the configurations
/// given beside it), and ngIRCd, InspIRCd, Mosquitto and nats-server each as its clients use it by
/// default (PRIVMSG to a nick, PUBLISH QoS 0, PUB with verbose off), at 50 pairs and 1 pair. Runs
/// interleaved, three of each, the median reported, as in <see cref="PingPongTable"/>.
/// </summary>
internal static class PeersPingPongTable
{
    public static async Task<string> BuildAsync(IReadOnlyList<ChatSystem> peerchats, IReadOnlyList<ChatSystem> peers, bool quick)
    {
        var duration = TimeSpan.FromSeconds(quick ? 2 : 5);
        var systems = peerchats.Concat(peers).ToList();

        // Warm-up, unreported, the same for all.
        foreach (var system in systems)
        {
            await PingPong.RunAsync(system, 50, TimeSpan.FromSeconds(quick ? 1 : 3));
            await Servers.WaitForDisconnectsAsync();
        }

        var configurations = new[] { 50, 1 }.SelectMany(pairs => systems.Select(system => (Pairs: pairs, System: system))).ToList();
        var runs = configurations.Select(_ => new List<PingPong.Result>()).ToArray();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < configurations.Count; i++)
            {
                runs[i].Add(await PingPong.RunAsync(configurations[i].System, configurations[i].Pairs, duration));
                await Servers.WaitForDisconnectsAsync();
            }
        }

        var median = runs.Select(r => r.OrderBy(x => x.RoundTripsPerSecond).ElementAt(1)).ToArray();
        var table = new StringBuilder();
        table.AppendLine("### Relay ping-pong against every peer (defaults against defaults: PeerChat with its `sent` receipt per send and its message store on; IRC PRIVMSG to a nick; MQTT PUBLISH QoS 0; NATS PUB, verbose off; PeerChat without either beside it, like with like; median of three runs)");
        table.AppendLine();
        table.AppendLine("| pairs | system | round trips/s | RTT p50 ms | RTT p99 ms | runs (round trips/s) | ratio |");
        table.AppendLine("|---:|---|---:|---:|---:|---|---|");
        for (var i = 0; i < configurations.Count; i++)
        {
            var r = median[i];
            var all = string.Join(" / ", runs[i].Select(x => x.RoundTripsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
            table.AppendLine(CultureInfo.InvariantCulture, $"| {r.Pairs} | {r.System} | {r.RoundTripsPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {all} | {(peerchats.Contains(configurations[i].System) ? Ratio(i) : string.Empty)} |");
        }

        return table.ToString();

        // Each PeerChat configuration against the best peer at the same number of pairs (issue 18's target: at least 1.0×, RTT p99 no worse).
        string Ratio(int i)
        {
            var best = Enumerable.Range(0, configurations.Count)
                .Where(j => configurations[j].Pairs == configurations[i].Pairs && !peerchats.Contains(configurations[j].System))
                .MaxBy(j => median[j].RoundTripsPerSecond);
            return string.Create(CultureInfo.InvariantCulture, $"{median[i].RoundTripsPerSecond / median[best].RoundTripsPerSecond:0.00}× {median[best].System}; p99 {median[i].P99Ms / median[best].P99Ms:0.00}×");
        }
    }
}
