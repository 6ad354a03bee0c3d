using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeerChat.Bench;

/// <summary>
/// Issue 16's hostile input on the IRC port, all at once, against a server with its default flood
/// control and AuthTimeout: clients that send endless lines with no LF, 10,000 JOINs each, a
/// PRIVMSG flood, lines of invalid UTF-8, and clients that never finish registering. Each writes
/// as fast as the server reads for a fixed window. Reports the server's RSS and live managed heap
/// before, while they attack and after; what each kind was answered; and how long a bystander's
/// logins took meanwhile.
/// </summary>
internal static class IrcHostile
{
    private enum Kind { LongLines, Joins, Flood, InvalidUtf8, NeverRegisters }

    private sealed record Outcome(Kind Kind, int Answers, bool ClosedByServer, double Seconds, string? Error);

    public static async Task<string> RunAsync(ChildProcess server, IrcSystem irc, PeerChatSystem plain, int perKind, TimeSpan window)
    {
        GC.Collect();
        await Servers.WaitForDisconnectsAsync();
        var rssBefore = ProcessStats.Memory(server.Pid).Rss;
        var heapBefore = long.Parse(await server.AskAsync("heap", "HEAP "), CultureInfo.InvariantCulture);
        ProcessStats.ResetPeak(server.Pid);

        // Registered first, twenty at a time (registering is not the attack), then all let loose at once.
        var kinds = Enum.GetValues<Kind>();
        var prepared = new List<(Kind Kind, string Nick, Task<LineConnection?> Connection)>();
        var next = 0;
        for (var i = 0; i < perKind; i++)
        {
            foreach (var kind in kinds)
            {
                var nick = $"idle{next++}";
                prepared.Add((kind, nick, kind == Kind.NeverRegisters ? Task.FromResult<LineConnection?>(null) : RegisterAsync(irc, nick)));
                if (prepared.Count % 20 == 0)
                {
                    await Task.WhenAll(prepared.Select(p => p.Connection));
                }
            }
        }

        using var windowEnds = new CancellationTokenSource(window);
        var started = Stopwatch.GetTimestamp();
        var attackers = new List<Task<Outcome>>();
        foreach (var (kind, nick, connection) in prepared)
        {
            // On the pool: an attacker's writes can complete synchronously for a long while (the
            // server reads as fast as they come), which held this loop up to 10 s before the last
            // attackers started, too late for AuthTimeout to close them inside the window.
            var registered = await connection;
            attackers.Add(Task.Run(() => AttackAsync(kind, irc, nick, registered, windowEnds.Token)));
        }

        var allStartedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Half-way through the window: memory, and a bystander logging in on either port.
        await Task.Delay(window / 2);
        var rssHeld = ProcessStats.Memory(server.Pid).Rss;
        var heapHeld = long.Parse(await server.AskAsync("heap", "HEAP "), CultureInfo.InvariantCulture);
        var plainLoginMs = await TimeAsync(async () => await (await plain.ConnectReceiverAsync("r0")).DisposeAsync());
        var ircLoginMs = await TimeAsync(async () => await (await irc.ConnectReceiverAsync("r1")).DisposeAsync());

        var outcomes = await Task.WhenAll(attackers);
        var allDoneSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await Servers.WaitForDisconnectsAsync();
        var rssAfter = ProcessStats.Memory(server.Pid);
        var heapAfter = long.Parse(await server.AskAsync("heap", "HEAP "), CultureInfo.InvariantCulture);

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Hostile input on the IRC port ({perKind} clients of each kind at once for {window.TotalSeconds:0} s; default flood control and AuthTimeout)");
        report.AppendLine();
        report.AppendLine("| server RSS before MiB | while attacked MiB | peak MiB | after MiB | live heap before MiB | while attacked MiB | after MiB | a peerchat/1 login meanwhile ms | an IRC login meanwhile ms | all started after s | all done after s |");
        report.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        report.AppendLine(CultureInfo.InvariantCulture, $"| {Mib(rssBefore)} | {Mib(rssHeld)} | {Mib(rssAfter.Peak)} | {Mib(rssAfter.Rss)} | {Mib(heapBefore)} | {Mib(heapHeld)} | {Mib(heapAfter)} | {plainLoginMs:0} | {ircLoginMs:0} | {allStartedSeconds:0.00} | {allDoneSeconds:0.0} |");
        report.AppendLine();
        report.AppendLine("| kind | what it sends | answered with | answers (min / median / max per client) | closed by the server | errors |");
        report.AppendLine("|---|---|---|---|---:|---|");
        foreach (var group in outcomes.GroupBy(o => o.Kind))
        {
            var answers = group.Select(o => o.Answers).Order().ToArray();
            var errors = group.Where(o => o.Error is not null).GroupBy(o => o.Error).Select(g => $"{g.Count()} × {g.Key}");
            var closed = group.Where(o => o.ClosedByServer).Select(o => o.Seconds).Order().ToArray();
            var closedText = closed.Length == 0 ? "0" : string.Create(CultureInfo.InvariantCulture, $"{closed.Length}, after {closed[0]:0.0}-{closed[^1]:0.0} s");
            report.AppendLine(CultureInfo.InvariantCulture, $"| {group.Key} | {Sends(group.Key)} | {Expected(group.Key)} | {answers[0]} / {answers[answers.Length / 2]} / {answers[^1]} | {closedText} | {string.Join(", ", errors)} |");
        }

        return report.ToString();
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var started = Stopwatch.GetTimestamp();
        await action();
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static string Sends(Kind kind) => kind switch
    {
        Kind.LongLines => "64 KiB writes with no LF",
        Kind.Joins => "10,000 JOINs of new channels",
        Kind.Flood => "PRIVMSG #everyone as fast as it can",
        Kind.InvalidUtf8 => "PRIVMSG lines with bytes 0xFF 0xFE",
        _ => "NICK and nothing more",
    };

    // What the server says to each kind, as counted from its lines.
    private static string Expected(Kind kind) => kind switch
    {
        Kind.LongLines => "417",
        Kind.Joins => "405",
        Kind.Flood => "(nothing: paced)",
        Kind.InvalidUtf8 => "FAIL INVALID_UTF8",
        _ => "ERROR",
    };

    private static bool IsAnswer(Kind kind, string line) => kind switch
    {
        Kind.LongLines => line.Contains(" 417 ", StringComparison.Ordinal),
        Kind.Joins => line.Contains(" 405 ", StringComparison.Ordinal),
        Kind.Flood => false,
        Kind.InvalidUtf8 => line.Contains("INVALID_UTF8", StringComparison.Ordinal),
        _ => line.StartsWith("ERROR", StringComparison.Ordinal),
    };

    private static async Task<LineConnection?> RegisterAsync(IrcSystem irc, string nick)
    {
        try
        {
            return await irc.ConnectSenderAsync(nick);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"{nick} could not register: {ex.Message}");
            return null;
        }
    }

    private static async Task<Outcome> AttackAsync(Kind kind, IrcSystem irc, string nick, LineConnection? registered, CancellationToken windowEnds)
    {
        var started = Stopwatch.GetTimestamp();
        LineConnection connection;
        if (kind == Kind.NeverRegisters)
        {
            connection = await LineConnection.ConnectAsync(irc.Server);
            await connection.WriteAsync($"NICK {nick}\r\n");
        }
        else if (registered is null)
        {
            return new Outcome(kind, 0, false, 0, "could not register");
        }
        else
        {
            connection = registered;
        }

        await using (connection)
        {
            var reading = CountAnswersAsync(kind, connection, windowEnds);
            var writing = kind == Kind.NeverRegisters ? Task.CompletedTask : WriteUntilAsync(kind, connection, windowEnds);
            var (answers, closed) = await reading;
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            string? error = null;
            try
            {
                await writing;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The window ended mid-write (the server was not reading: flood control), or the server closed.
                error = closed ? null : ex is OperationCanceledException ? null : ex.GetType().Name;
            }

            return new Outcome(kind, answers, closed, seconds, error);
        }
    }

    /// <summary>Counts the server's answers until it closes (true) or the window ends (false).</summary>
    private static async Task<(int Answers, bool Closed)> CountAnswersAsync(Kind kind, LineConnection connection, CancellationToken windowEnds)
    {
        var answers = 0;
        try
        {
            while (await connection.ReadLineAsync(windowEnds) is { } line)
            {
                if (IsAnswer(kind, line))
                {
                    answers++;
                }
                else if (line.StartsWith("PING", StringComparison.Ordinal))
                {
                    _ = connection.WriteAsync($"PONG{line[4..]}\r\n");
                }
            }

            return (answers, true);
        }
        catch (OperationCanceledException)
        {
            return (answers, false);
        }
        catch (IOException)
        {
            return (answers, true);
        }
    }

    private static async Task WriteUntilAsync(Kind kind, LineConnection connection, CancellationToken windowEnds)
    {
        var chunk = kind switch
        {
            Kind.LongLines => Encoding.ASCII.GetBytes(new string('x', 64 * 1024)),
            Kind.Flood => Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("PRIVMSG #everyone :flood flood flood flood\r\n", 100))),
            Kind.InvalidUtf8 => [.. Enumerable.Repeat<byte[]>([.. "PRIVMSG #everyone :"u8, 0xFF, 0xFE, (byte)'\r', (byte)'\n'], 100).SelectMany(b => b)],
            _ => [],
        };
        var join = 0;
        while (!windowEnds.IsCancellationRequested)
        {
            if (kind == Kind.Joins)
            {
                if (join >= 10_000)
                {
                    return;
                }

                var batch = new StringBuilder();
                for (var i = 0; i < 100; i++, join++)
                {
                    batch.Append(CultureInfo.InvariantCulture, $"JOIN #h-{connection.GetHashCode()}-{join}\r\n");
                }

                chunk = Encoding.ASCII.GetBytes(batch.ToString());
            }

            await connection.WriteAsync(chunk, windowEnds);
        }
    }
}
