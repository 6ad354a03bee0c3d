using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Fan-out from a cold start (<c>all --cold</c>): for each row a fresh PeerChat server process and a
/// fresh nats-server, the first broadcasts of each measured with no warm-up of the server. The
/// generator (this process) is warmed up first against servers of its own, so that its own JIT
/// counts against neither system. With <c>--module out/PeerChat</c> the PeerChat server runs the
/// module's assemblies compiled ahead of time for this platform, as the shipped module does;
/// without it, the portable ones of this build (what every server ran before ReadyToRun).
/// </summary>
internal static class ColdFanOut
{
    private const int Runs = 3;
    private const int DeliveriesPerRow = 200_000;

    public static async Task<string> BuildTableAsync(string? modulePath)
    {
        var serverAssembly = modulePath is null ? typeof(FanOut).Assembly.Location : CopyWithModuleAssemblies(modulePath);
        try
        {
            return await MeasureAsync(serverAssembly, modulePath);
        }
        finally
        {
            if (modulePath is not null)
            {
                Directory.Delete(Path.GetDirectoryName(serverAssembly)!, recursive: true);
            }
        }
    }

    private static async Task<string> MeasureAsync(string serverAssembly, string? modulePath)
    {
        await WarmUpGeneratorAsync(serverAssembly);

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Fan-out from a cold start (a fresh server for each run, no warm-up; median of {Runs} runs; PeerChat {(modulePath is null ? "portable (JIT)" : "compiled ahead of time, from " + modulePath)}, with its message store on)");
        report.AppendLine();
        report.AppendLine("| receivers | messages measured | system | deliveries/s (median) | runs | p50 ms | p99 ms | lost | PeerChat / NATS |");
        report.AppendLine("|---:|---:|---|---:|---|---:|---:|---:|---:|");
        foreach (var receivers in new[] { 50, 500, 2000 })
        {
            var messages = DeliveriesPerRow / receivers;
            var runs = new Dictionary<string, List<FanOut.Result>> { ["PeerChat"] = [], ["NATS"] = [] };
            for (var run = 0; run < Runs; run++)
            {
                // Interleaved, so that a change in the machine's load meets both systems alike.
                foreach (var start in new Func<Task<(ChildProcess, ChatSystem)>>[] { () => Servers.StartPeerChatAsync(serverAssembly), Servers.StartNatsAsync })
                {
                    var (server, system) = await start();
                    using (server)
                    {
                        runs[system.Name].Add(await FanOut.RunAsync(system, receivers, messages, window: 200));
                    }
                }
            }

            var medians = runs.ToDictionary(r => r.Key, r => r.Value.OrderBy(x => x.DeliveriesPerSecond).ElementAt(Runs / 2));
            var ratio = medians["PeerChat"].DeliveriesPerSecond / medians["NATS"].DeliveriesPerSecond;
            foreach (var (name, median) in medians)
            {
                var all = string.Join(" / ", runs[name].Select(r => r.DeliveriesPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
                var lost = runs[name].Sum(r => r.Lost);
                report.AppendLine(CultureInfo.InvariantCulture, $"| {receivers} | {messages} | {name} | {median.DeliveriesPerSecond:N0} | {all} | {median.P50Ms:0.00} | {median.P99Ms:0.00} | {lost} | {(name == "PeerChat" ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : string.Empty)} |");
            }
        }

        return report.ToString();
    }

    /// <summary>The same workloads, unreported, against servers that are then thrown away.</summary>
    private static async Task WarmUpGeneratorAsync(string serverAssembly)
    {
        foreach (var start in new Func<Task<(ChildProcess, ChatSystem)>>[] { () => Servers.StartPeerChatAsync(serverAssembly), Servers.StartNatsAsync })
        {
            var (server, system) = await start();
            using (server)
            {
                foreach (var receivers in new[] { 50, 500, 2000 })
                {
                    await FanOut.RunAsync(system, receivers, DeliveriesPerRow / receivers, window: 200);
                }
            }
        }
    }

    /// <summary>
    /// A copy of this program whose PeerChat.Core and PeerChat.Store.Sqlite are the module's copies
    /// compiled for this platform (runtimes/&lt;rid&gt;/lib in the layout); the same IL, so the same
    /// assemblies to the program.
    /// </summary>
    private static string CopyWithModuleAssemblies(string modulePath)
    {
        var runtime = RuntimeInformation.RuntimeIdentifier;
        var folder = Directory.CreateTempSubdirectory("peerchat-bench-cold-").FullName;
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(folder, Path.GetRelativePath(AppContext.BaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        foreach (var compiled in new[] { Path.Combine(modulePath, "runtimes", runtime, "lib", "PeerChat.Core.dll"), Path.Combine(modulePath, "dependencies", "runtimes", runtime, "lib", "PeerChat.Store.Sqlite.dll") })
        {
            if (!File.Exists(compiled))
            {
                throw new FileNotFoundException($"The module has no {Path.GetFileName(compiled)} compiled for {runtime}: build it with build.ps1 Build.", compiled);
            }

            File.Copy(compiled, Path.Combine(folder, Path.GetFileName(compiled)), overwrite: true);
        }

        return Path.Combine(folder, Path.GetFileName(typeof(FanOut).Assembly.Location));
    }
}
