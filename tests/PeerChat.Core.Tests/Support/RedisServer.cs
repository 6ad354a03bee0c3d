using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerChat.Core.Tests.Support;

/// <summary>
/// A real redis-server (the Debian package redis-server) of the test's own: on 127.0.0.1 and a free
/// port, with its append-only file and everything else it writes in a temp folder, stopped and
/// deleted on dispose. Started as the cluster's Redis must run (docs/CLUSTER.md): appendonly yes,
/// appendfsync always, no RDB snapshots.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(15);
    private readonly TemporaryFolder _folder;
    private Process? _process;

    private RedisServer(TemporaryFolder folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    /// <summary>The redis-server executable on PATH, or null.</summary>
    public static string? Executable { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, "redis-server"))
        .FirstOrDefault(File.Exists);

    /// <summary>Why Redis tests cannot run here, or null when they can. Under CI (.ci/run installs it) nothing is skipped: a missing server fails the test.</summary>
    public static string? SkipReason =>
        Executable is null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
            ? "redis-server is not installed (Debian package redis-server; .ci/run installs it)"
            : null;

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for it.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        if (Executable is null)
        {
            throw new InvalidOperationException("redis-server is not installed: the Redis tests need the Debian package redis-server (.ci/run installs it).");
        }

        var folder = new TemporaryFolder();
        try
        {
            // A free port is found by binding port 0, then released for redis-server: another
            // process may take it in between, so a clash is retried on a new one.
            var failures = new List<string>();
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var server = new RedisServer(folder, FreePort());
                var output = await server.StartProcessAsync().ConfigureAwait(false);
                if (output is null)
                {
                    return server;
                }

                failures.Add(output);
                if (!output.Contains("Address already in use", StringComparison.Ordinal))
                {
                    break;
                }
            }

            throw new InvalidOperationException($"redis-server did not start: {string.Join("\n---\n", failures)}");
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Stops redis-server (SIGKILL: what it acknowledged is in its append-only file) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync().WaitAsync(TestServer.Patience).ConfigureAwait(false);
            process.Dispose();
        }
    }

    /// <summary>Starts it again on the same port and folder, from its append-only file.</summary>
    public async Task RestartAsync()
    {
        await StopAsync().ConfigureAwait(false);
        var output = await StartProcessAsync().ConfigureAwait(false);
        if (output is not null)
        {
            throw new InvalidOperationException($"redis-server did not start again: {output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _folder.Dispose();
    }

    // Null once it is ready; else what it printed before it exited.
    private async Task<string?> StartProcessAsync()
    {
        var start = new ProcessStartInfo(Executable!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder.Path,
        };
        foreach (var argument in new[]
        {
            "--port", $"{Port}", "--bind", "127.0.0.1", "--dir", _folder.Path, "--daemonize", "no",
            "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", "",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void OnLine(object sender, DataReceivedEventArgs line)
        {
            if (line.Data is not null)
            {
                output.Enqueue(line.Data);
                if (line.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(StartPatience)).ConfigureAwait(false);
        if (first == ready.Task)
        {
            _process = process;
            return null;
        }

        if (!process.HasExited)
        {
            process.Kill();
        }

        await exited.WaitAsync(TestServer.Patience).ConfigureAwait(false);
        process.Dispose();
        return first == exited ? string.Join("\n", output) : $"not ready within {StartPatience.TotalSeconds} s: {string.Join("\n", output)}";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
