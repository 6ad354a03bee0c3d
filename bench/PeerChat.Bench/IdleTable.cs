using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// The idle table: PeerChat against nats-server, InspIRCd and Mosquitto (issue 18 names the last two),
/// each row the median of three runs on a fresh server, the systems in a rotated order each time so
/// that a slow spell of this shared machine touches all alike.
/// </summary>
internal static class IdleTable
{
    // The peers' rows are left out (and the table says so) where their Debian package is not
    // installed: build.ps1 requires them only for the peer workloads.
    private static readonly (string? Command, Func<Task<(ChildProcess Process, ChatSystem System)>> Start)[] Systems =
        [(null, Servers.StartPeerChatAsync), (null, Servers.StartNatsAsync), ("inspircd", PeerServers.StartInspircdQuietChannelAsync), ("mosquitto", PeerServers.StartMosquittoAsync)];

    public static async Task<string> BuildAsync(bool quick)
    {
        var runs = quick ? 1 : 3;
        var started = Stopwatch.GetTimestamp();
        var missing = Systems.Where(s => s.Command is { } command && !IsInstalled(command)).Select(s => s.Command!).ToList();
        var starters = Systems.Where(s => s.Command is null || !missing.Contains(s.Command)).Select(s => s.Start).ToArray();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"### Idle connections (logged in / subscribed, then still; PeerChat with HashIterations 1 for this run; median of {runs} run(s), each on a fresh server, min–max in brackets)");
        table.AppendLine();
        table.AppendLine("RSS after warm-up: after 1,000 other clients connected, logged in (subscribed) and left, and the server held none of them;");
        table.AppendLine("for PeerChat after a full collection too (its live-heap reading). NATS: SUB all and to.<name>. InspIRCd: registered and");
        table.AppendLine("joined a channel of 1,000 (mode +u: a join is shown to no one). Mosquitto: clean session, subscribed to all and to/<name>.");
        table.AppendLine("\"Both collected\": RSS with the clients read again after PeerChat's live-heap reading (a full collection), so that neither");
        table.AppendLine("reading holds garbage not yet collected; the peers have no collector, and their RSS is simply read again.");
        table.AppendLine();
        table.AppendLine("| clients | system | connections/s | server RSS fresh MiB | after warm-up MiB | with the clients MiB | RSS bytes per connection from fresh | RSS bytes per connection after warm-up | RSS bytes per connection after warm-up, both collected | live managed heap bytes per connection |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var clients in quick ? [2000] : new[] { 10_000, 19_000 })
        {
            var results = starters.Select(_ => new List<Idle.Run>()).ToArray();
            var names = new string[starters.Length];
            for (var run = 0; run < runs; run++)
            {
                for (var k = 0; k < starters.Length; k++)
                {
                    var i = (k + run) % starters.Length;
                    var (server, system) = await starters[i]();
                    using (server)
                    {
                        names[i] = system.Name;
                        results[i].Add(await Idle.MeasureAsync(server, system, clients));
                    }
                }
            }

            for (var i = 0; i < starters.Length; i++)
            {
                var r = results[i];
                var heap = r[0].HeapPerConnection is null ? "—" : Spread(r.Select(x => x.HeapPerConnection ?? 0));
                table.AppendLine(CultureInfo.InvariantCulture, $"| {clients} | {names[i]} | {Median(r.Select(x => x.ConnectionsPerSecond)):N0} | {Mib(r.Select(x => x.FreshRss))} | {Mib(r.Select(x => x.WarmRss))} | {Mib(r.Select(x => x.AfterRss))} | {Spread(r.Select(x => x.PerConnectionFromFresh))} | {Spread(r.Select(x => x.PerConnectionAfterWarmUp))} | {Spread(r.Select(x => x.PerConnectionCollected))} | {heap} |");
            }
        }

        table.AppendLine();
        if (missing.Count > 0)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"Left out, not installed: {string.Join(", ", missing)} (build.ps1 Bench -Bootstrap installs them).");
        }

        table.AppendLine(CultureInfo.InvariantCulture, $"The table took {Stopwatch.GetElapsedTime(started).TotalMinutes:0.0} min.");
        return table.ToString();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Mib(IEnumerable<long> bytes) => (Median(bytes.Select(b => (double)b)) / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    /// <summary>"median (min–max)", or the one value of a single run.</summary>
    private static string Spread(IEnumerable<long> values)
    {
        var all = values.ToArray();
        var median = Median(all.Select(v => (double)v)).ToString("N0", CultureInfo.InvariantCulture);
        return all.Length == 1 ? median : string.Create(CultureInfo.InvariantCulture, $"{median} ({all.Min():N0}–{all.Max():N0})");
    }

    // Found as the peer is started: by name, on the PATH.
    private static bool IsInstalled(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Any(folder => folder.Length > 0 && File.Exists(Path.Combine(folder, command)));
}
