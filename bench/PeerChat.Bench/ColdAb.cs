using System.Globalization;

namespace PeerChat.Bench;

/// <summary>
/// An A/B of cold fan-out (<c>cold-ab &lt;rounds&gt; &lt;server&gt;...</c>): each server is a folder holding a copy of
/// this program (e.g. with other compiled PeerChat assemblies) or "nats"; for each size and round, a fresh process
/// of each in turn (interleaved), its first broadcasts measured as <see cref="ColdFanOut"/> does, with the server's
/// CPU seconds over the run. The generator is warmed up first, as in <see cref="ColdFanOut"/>.
/// </summary>
internal static class ColdAb
{
    public static async Task RunAsync(int rounds, IReadOnlyList<string> servers, int[] sizes)
    {
        foreach (var server in servers.Distinct())
        {
            var (process, system) = await StartAsync(server);
            using (process)
            {
                foreach (var receivers in sizes)
                {
                    await FanOut.RunAsync(system, receivers, 200_000 / receivers, window: 200);
                }
            }
        }

        foreach (var receivers in sizes)
        {
            for (var round = 0; round < rounds; round++)
            {
                foreach (var server in servers)
                {
                    var (process, system) = await StartAsync(server);
                    using (process)
                    {
                        var before = CpuSeconds(process.Pid);
                        var result = await FanOut.RunAsync(system, receivers, 200_000 / receivers, window: 200);
                        var cpu = CpuSeconds(process.Pid) - before;
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} | {receivers} | {Path.GetFileName(server.TrimEnd('/'))} | {result.DeliveriesPerSecond:0} | {result.Seconds:0.000} s | cpu {cpu:0.00} s | p50 {result.P50Ms:0.0} p99 {result.P99Ms:0.0} | lost {result.Lost}"));
                    }
                }
            }
        }
    }

    private static Task<(ChildProcess, ChatSystem)> StartAsync(string server) =>
        server == "nats" ? Servers.StartNatsAsync() : Servers.StartPeerChatAsync(Path.Combine(server, "PeerChat.Bench.dll"));

    private static double CpuSeconds(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
