using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using PeerChat.Core.Client;

namespace PeerChat.Bench;

/// <summary>
/// Offline delivery at login: a user with <c>queued</c> direct messages waiting logs in with the
/// client library and an inbox, as Connect-PeerChat does (the inbox confirms them with
/// <c>received</c>, which lets the server send the next batch). Timed from the connect to the last
/// queued message in the inbox, against a server with its message store on (the default).
/// </summary>
internal static class OfflineDrain
{
    public static async Task<string> RunAsync(IPEndPoint server, int queued, int rounds)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"### Offline drain at login ({queued:N0} queued direct messages of 64 bytes; client library and inbox, as Connect-PeerChat; {rounds} users, one after another)");
        report.AppendLine();
        report.AppendLine("| round | connect + login ms | login to last message ms | connect to last message ms | longest wait between two messages ms (after message) | messages in order |");
        report.AppendLine("|---:|---:|---:|---:|---:|---|");
        var totals = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            // The ping-pong pairs' accounts: "pb" users are offline outside ping-pong.
            var (sender, receiver) = ($"pa{round}", $"pb{round}");
            await QueueAsync(server, sender, receiver, queued);
            var row = await DrainAsync(server, receiver, queued);
            totals.Add(row.TotalMs);
            report.AppendLine(CultureInfo.InvariantCulture, $"| {round + 1} | {row.LoginMs:0.0} | {row.TotalMs - row.LoginMs:0.0} | {row.TotalMs:0.0} | {row.LongestGapMs:0.0} ({row.LongestGapAfter}) | {(row.InOrder ? "yes" : "NO")} |");
        }

        totals.Sort();
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Connect to last message: median {totals[totals.Count / 2]:0.0} ms, max {totals[^1]:0.0} ms.");
        report.AppendLine();
        return report.ToString();
    }

    private static async Task QueueAsync(IPEndPoint server, string sender, string receiver, int queued)
    {
        await using var client = await ChatClient.ConnectAsync(server.Address.ToString(), server.Port);
        await client.LoginAsync(sender, PeerChatSystem.Password);
        for (var i = 0; i < queued; i++)
        {
            var receipt = await client.SendAsync(receiver, $"{i:D6}".PadRight(64, 'x'));
            if (!receipt.Queued)
            {
                throw new InvalidOperationException($"{receiver} should be offline, but message {i} was delivered live.");
            }
        }
    }

    private sealed record Drain(double LoginMs, double TotalMs, double LongestGapMs, int LongestGapAfter, bool InOrder);

    private static async Task<Drain> DrainAsync(IPEndPoint server, string receiver, int queued)
    {
        var started = Stopwatch.GetTimestamp();
        await using var client = await ChatClient.ConnectAsync(server.Address.ToString(), server.Port);
        await client.LoginAsync(receiver, PeerChatSystem.Password);
        var loggedIn = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        var texts = new List<string>(queued);
        var arrivals = new List<long>(queued);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inbox = new ChatInbox(client);
        inbox.Received += chatEvent =>
        {
            // Raised on the inbox's one pump, in arrival order.
            if (chatEvent is Core.Client.ChatMessage { Offline: true } message)
            {
                texts.Add(message.Text);
                arrivals.Add(Stopwatch.GetTimestamp());
                if (texts.Count == queued)
                {
                    all.TrySetResult();
                }
            }
        };

        if (await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(30))) != all.Task)
        {
            throw new TimeoutException($"{receiver} got {texts.Count} of {queued} queued messages in 30 s.");
        }

        var total = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var inOrder = texts.Select((text, i) => text.StartsWith($"{i:D6}", StringComparison.Ordinal)).All(ok => ok);
        var (gap, after) = Enumerable.Range(1, arrivals.Count - 1).Select(i => (Stopwatch.GetElapsedTime(arrivals[i - 1], arrivals[i]).TotalMilliseconds, i)).Max();
        return new Drain(loggedIn, total, gap, after, inOrder);
    }
}
