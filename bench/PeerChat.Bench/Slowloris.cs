using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Slowloris on the web port (issue 17's hostile input): N connections each start an HTTP request and
/// then send one more header line a second, never ending the header section. The server should close
/// each when its header timeout passes (408), hold little memory for them meanwhile, and let others
/// in. Reports the server's RSS before, while they are held, and after they are gone.
/// </summary>
internal static class Slowloris
{
    public static async Task<string> RunAsync(ChildProcess server, IPEndPoint web, PeerChatSystem plain, PeerChatWebSocketSystem websocket, int connections)
    {
        GC.Collect();
        await Servers.WaitForDisconnectsAsync();
        var rssBefore = ProcessStats.Memory(server.Pid).Rss;
        ProcessStats.ResetPeak(server.Pid);

        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var started = Stopwatch.GetTimestamp();
        var opened = new List<(Socket Socket, long StartedAt)>();
        for (var i = 0; i < connections; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(web, giveUp.Token);
            opened.Add((socket, Stopwatch.GetTimestamp()));
            await socket.SendAsync("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"u8.ToArray(), giveUp.Token);
        }

        var connectSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var attackers = opened.Select((o, i) => HoldAsync(o.Socket, o.StartedAt, i, giveUp.Token)).ToList();

        // While they are held: the server's memory, and whether a user gets in on either port.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var rssHeld = ProcessStats.Memory(server.Pid).Rss;
        var loginStarted = Stopwatch.GetTimestamp();
        await using (await plain.ConnectReceiverAsync("r0"))
        {
        }

        var plainLoginMs = Stopwatch.GetElapsedTime(loginStarted).TotalMilliseconds;
        loginStarted = Stopwatch.GetTimestamp();
        await using (await websocket.ConnectReceiverAsync("r1"))
        {
        }

        var webLoginMs = Stopwatch.GetElapsedTime(loginStarted).TotalMilliseconds;

        var outcomes = await Task.WhenAll(attackers);
        var allClosedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        foreach (var (socket, _) in opened)
        {
            socket.Dispose();
        }

        await Servers.WaitForDisconnectsAsync();
        var rssAfter = ProcessStats.Memory(server.Pid);
        var statuses = outcomes.GroupBy(o => o.Status).OrderByDescending(g => g.Count()).Select(g => $"{g.Count()} × {g.Key}");
        var closedAfter = outcomes.Where(o => o.ClosedBy == "server").Select(o => o.Seconds).Order().ToArray();

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Slowloris on the web port ({connections} connections, each a request's first line and one more header line a second, never ending)");
        report.AppendLine();
        report.AppendLine("| server RSS before MiB | while held (5 s in) MiB | peak MiB | after MiB | closed by the server | their answers | closed after s (min / median / max) | all closed after s | opening them s | a peerchat/1 login meanwhile ms | a WebSocket login meanwhile ms |");
        report.AppendLine("|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|");
        var closedTimes = closedAfter.Length == 0 ? "—" : string.Create(CultureInfo.InvariantCulture, $"{closedAfter[0]:0.0} / {closedAfter[closedAfter.Length / 2]:0.0} / {closedAfter[^1]:0.0}");
        report.AppendLine(CultureInfo.InvariantCulture, $"| {rssBefore / 1048576.0:0.0} | {rssHeld / 1048576.0:0.0} | {rssAfter.Peak / 1048576.0:0.0} | {rssAfter.Rss / 1048576.0:0.0} | {closedAfter.Length} of {connections} | {string.Join(", ", statuses)} | {closedTimes} | {allClosedSeconds:0.0} | {connectSeconds:0.0} | {plainLoginMs:0} | {webLoginMs:0} |");
        return report.ToString();
    }

    /// <summary>Sends a header line a second until the server closes; what it answered, and when, in seconds since it was accepted.</summary>
    private static async Task<(string Status, string ClosedBy, double Seconds)> HoldAsync(Socket socket, long started, int index, CancellationToken giveUp)
    {
        var answer = new byte[512];
        var received = 0;
        var reading = socket.ReceiveAsync(answer.AsMemory(), SocketFlags.None, giveUp).AsTask();
        try
        {
            for (var line = 0; ; line++)
            {
                var tick = Task.Delay(TimeSpan.FromSeconds(1), giveUp);
                if (await Task.WhenAny(reading, tick) == reading)
                {
                    // The server answered or closed: its status line is in the first bytes.
                    received = await reading;
                    return (StatusOf(answer, received), "server", Stopwatch.GetElapsedTime(started).TotalSeconds);
                }

                await socket.SendAsync(Encoding.ASCII.GetBytes($"X-Slow-{index}-{line}: {line}\r\n"), giveUp);
            }
        }
        catch (SocketException)
        {
            return (received > 0 ? StatusOf(answer, received) : "reset", "server", Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
        catch (OperationCanceledException)
        {
            return ("still open at 90 s", "nobody", Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static string StatusOf(byte[] answer, int length)
    {
        if (length == 0)
        {
            return "closed without an answer";
        }

        var text = Encoding.ASCII.GetString(answer, 0, length);
        var end = text.IndexOf('\r', StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }
}
