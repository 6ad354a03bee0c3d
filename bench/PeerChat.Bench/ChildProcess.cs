using System.Diagnostics;

namespace PeerChat.Bench;

/// <summary>A process the benchmark starts and ends: it reports on stdout, and ends when its stdin closes (or is killed).</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly bool _endsOnStdinClose;

    private ChildProcess(Process process, bool endsOnStdinClose)
    {
        _process = process;
        _endsOnStdinClose = endsOnStdinClose;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string file, string[] arguments, string? readyOnStderr = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var child = new ChildProcess(Process.Start(start)!, endsOnStdinClose: readyOnStderr is null);
        child._process.ErrorDataReceived += (_, e) =>
        {
            if (readyOnStderr is not null && e.Data?.Contains(readyOnStderr, StringComparison.Ordinal) == true)
            {
                child._ready.TrySetResult();
            }
        };
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// A server of another project (ngIRCd, InspIRCd, Mosquitto) that logs every connection to its
    /// output: both streams are read and dropped (a full pipe would stall it), and it is killed at the end.
    /// </summary>
    public static ChildProcess StartQuiet(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var child = new ChildProcess(Process.Start(start)!, endsOnStdinClose: false);
        child._process.OutputDataReceived += (_, _) => { };
        child._process.ErrorDataReceived += (_, _) => { };
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Writes <paramref name="line"/> to the process's stdin and returns its answer (the line starting with <paramref name="prefix"/>).</summary>
    public async Task<string> AskAsync(string line, string prefix)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
        return await ReadReportAsync(prefix);
    }

    public Task WaitReadyAsync() => _ready.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public async Task<string> ReadReportAsync(string prefix, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (await _process.StandardOutput.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line[prefix.Length..];
            }
        }

        throw new InvalidOperationException($"{_process.StartInfo.FileName} ended before reporting {prefix}.");
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_endsOnStdinClose || !_process.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
