using System.Globalization;
using System.Net;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Ping-pong in like-for-like pairs: PeerChat answers every send with a `sent` receipt unless a client
/// logs in with "receipts": false, NATS answers every PUB with +OK only when a client connects with
/// verbose on. Each configuration runs three times, interleaved with the others so that drift in the
/// machine touches all alike, and the median run is reported.
/// </summary>
internal static class PingPongTable
{
    public static async Task<string> BuildAsync(IPEndPoint peerchat, IPEndPoint nats, bool quick)
    {
        var duration = TimeSpan.FromSeconds(quick ? 2 : 5);
        var configurations = new (string Label, int Pairs, Func<Task<PingPong.Result>> Run)[]
        {
            ("PeerChat | relay, `sent` receipt per send (protocol default)", 50, () => PingPong.RunAsync(new PeerChatSystem { Server = peerchat }, 50, duration)),
            ("NATS | relay, verbose: `+OK` per PUB", 50, () => PingPong.RunAsync(new NatsSystem { Server = nats, Verbose = true }, 50, duration)),
            ("PeerChat | relay, `\"receipts\": false`", 50, () => PingPong.RunAsync(new PeerChatSystem { Server = peerchat, Receipts = false }, 50, duration)),
            ("NATS | relay, verbose off (client default)", 50, () => PingPong.RunAsync(new NatsSystem { Server = nats }, 50, duration)),
            ("PeerChat | direct, `ack` per message", 50, () => DirectPingPong.RunAsync(peerchat, 50, duration)),
            ("PeerChat | relay, `sent` receipt per send", 1, () => PingPong.RunAsync(new PeerChatSystem { Server = peerchat }, 1, duration)),
            ("NATS | relay, verbose: `+OK` per PUB", 1, () => PingPong.RunAsync(new NatsSystem { Server = nats, Verbose = true }, 1, duration)),
            ("PeerChat | direct, `ack` per message", 1, () => DirectPingPong.RunAsync(peerchat, 1, duration)),
        };
        var runs = configurations.Select(_ => new List<PingPong.Result>()).ToArray();
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < configurations.Length; i++)
            {
                runs[i].Add(await configurations[i].Run());
                await Servers.WaitForDisconnectsAsync();
            }
        }

        var median = runs.Select(r => r.OrderBy(x => x.RoundTripsPerSecond).ElementAt(1)).ToArray();
        string Ratio(int i, int of, string name) => $"{median[i].RoundTripsPerSecond / median[of].RoundTripsPerSecond:0.00}× {name}";
        var ratios = new[]
        {
            Ratio(0, 1, "NATS verbose"), string.Empty, Ratio(2, 3, "NATS"), string.Empty, Ratio(4, 0, "relay"),
            Ratio(5, 6, "NATS verbose"), string.Empty, Ratio(7, 5, "relay"),
        };
        var table = new StringBuilder();
        table.AppendLine("### Ping-pong (relay through the server, and PeerChat's direct route; median of three runs; PeerChat with its message store on)");
        table.AppendLine();
        table.AppendLine("| pairs | system | route and acknowledgement | round trips/s | RTT p50 ms | RTT p99 ms | runs (round trips/s) | ratio |");
        table.AppendLine("|---:|---|---|---:|---:|---:|---|---:|");
        for (var i = 0; i < configurations.Length; i++)
        {
            var (label, pairs, _) = configurations[i];
            var r = median[i];
            var all = string.Join(" / ", runs[i].Select(x => x.RoundTripsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
            table.AppendLine(CultureInfo.InvariantCulture, $"| {pairs} | {label} | {r.RoundTripsPerSecond:N0} | {r.P50Ms:0.00} | {r.P99Ms:0.00} | {all} | {ratios[i]} |");
        }

        return table.ToString();
    }
}
