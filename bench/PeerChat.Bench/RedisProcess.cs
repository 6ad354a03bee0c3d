using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace PeerChat.Bench;

/// <summary>
/// A redis-server (Debian's) of the benchmark's own, run as the cluster's Redis must run
/// (docs/CLUSTER.md): appendonly yes, appendfsync always, no RDB snapshots, on 127.0.0.1 and a free
/// port, its files in a temp folder deleted at the end. Its counters are read over an admin
/// connection: INFO commandstats (calls per command, those inside scripts included) and MEMORY USAGE.
/// </summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _folder;
    private readonly ConnectionMultiplexer _admin;

    private RedisProcess(Process process, DirectoryInfo folder, int port, ConnectionMultiplexer admin)
    {
        _process = process;
        _folder = folder;
        Port = port;
        _admin = admin;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    /// <summary>A StackExchange.Redis configuration string for the nodes.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisProcess> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("peerchat-bench-redis-");
        var port = FreePort();
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder.FullName,
        };
        foreach (var argument in new[]
        {
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder.FullName,
            "--daemonize", "no", "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", "",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };

        // Read to the end (a full pipe would stall it); only the ready line matters.
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data?.Contains("Ready to accept connections", StringComparison.Ordinal) == true)
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
        return new RedisProcess(process, folder, port, admin);
    }

    /// <summary>
    /// Calls and microseconds per command since Redis started (INFO commandstats), those run inside
    /// scripts included (a script's own time includes theirs). Neither counts the fsync of the
    /// append-only file, done between event-loop passes.
    /// </summary>
    public async Task<Dictionary<string, (long Calls, long Microseconds)>> CommandStatsAsync()
    {
        var info = await _admin.GetServer(_admin.GetEndPoints()[0]).InfoRawAsync("commandstats");
        var stats = new Dictionary<string, (long, long)>(StringComparer.Ordinal);

        // cmdstat_xadd:calls=123,usec=456,...: this connection's own INFO calls left out.
        foreach (var line in (info ?? string.Empty).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && !line.StartsWith("cmdstat_info:", StringComparison.Ordinal))
            {
                var fields = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',')
                    .Select(f => f.Split('='))
                    .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
                stats[line[8..line.IndexOf(':', StringComparison.Ordinal)]] = (long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields["usec"], CultureInfo.InvariantCulture));
            }
        }

        return stats;
    }

    /// <summary>redis-server's user and system CPU (utime and stime of /proc/pid/stat): the system part is mostly writing and fsyncing the append-only file, and the sockets.</summary>
    public (TimeSpan User, TimeSpan System) Cpu()
    {
        // The fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        static TimeSpan Ticks(string value) => TimeSpan.FromSeconds(long.Parse(value, CultureInfo.InvariantCulture) / 100.0);
        return (Ticks(fields[11]), Ticks(fields[12]));
    }

    /// <summary>Bytes a key takes (MEMORY USAGE, every element sampled) and its length (XLEN or HLEN), for bytes per entry.</summary>
    public async Task<(long Bytes, long Entries)> KeyUsageAsync(string key)
    {
        var db = _admin.GetDatabase();
        var bytes = await db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        var type = await db.KeyTypeAsync(key);
        var entries = type switch
        {
            RedisType.Stream => await db.StreamLengthAsync(key),
            RedisType.Hash => await db.HashLengthAsync(key),
            _ => 0,
        };
        return (bytes.IsNull ? 0 : (long)bytes, entries);
    }

    /// <summary>used_memory of INFO memory: what Redis holds now.</summary>
    public async Task<long> UsedMemoryAsync()
    {
        var info = await _admin.GetServer(_admin.GetEndPoints()[0]).InfoRawAsync("memory") ?? string.Empty;
        var line = info.Split('\n', StringSplitOptions.TrimEntries).First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await _admin.DisposeAsync();
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        _process.Dispose();
        _folder.Delete(recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
