using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// A peer with a valid token flooding a receiver's direct listener (issue 11, finding 3): the
/// receiver paces it by a bucket per peer user, in messages and in bytes, and its inbox holds a
/// bounded number of bytes, whatever the peer sends.
/// </summary>
public sealed class DirectFloodTests
{
    // The largest text that fits a 64 KB frame with its envelope.
    private static readonly string LargeText = new('x', 60_000);

    [Fact]
    public async Task AFloodOfSmallMessages_IsPacedByTheMessageBucket_AndEveryOneIsDelivered()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", new ChatClientOptions { DirectFloodBurst = 5, DirectFloodRate = 10 });
        using var link = await RawClient.OpenDirectLinkAsync(alice, bob);

        // Pipelined, without waiting for acks, as an attacker would.
        var started = Stopwatch.GetTimestamp();
        await link.SendAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 25).Select(i => $"{{\"type\":\"message\",\"messageId\":\"f-{i}\",\"text\":\"{i}\"}}\n"))));
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal($"f-{i}", (await link.ReadFrameAsync("ack")).Str("messageId"));
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var delivered = await ReadMessagesAsync(bob, 25);

        // Five at once, then ten a second: the last of 25 is read once the 24 before it are paid
        // for, 1.9 s in at the least, where an unpaced link acks all 25 in tens of milliseconds.
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.5), $"25 messages were acked in {elapsed.TotalMilliseconds:0} ms; the bucket allows 5 then 10/s");
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"{i}"), delivered.Select(m => m.Text));
    }

    [Fact]
    public async Task AFloodOfLargeMessages_IsPacedByTheByteBucket()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", new ChatClientOptions { DirectFloodBurstBytes = 64 * 1024, DirectFloodRateBytes = 256 * 1024 });
        using var link = await RawClient.OpenDirectLinkAsync(alice, bob);

        var started = Stopwatch.GetTimestamp();
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await link.SendLineAsync(JsonSerializer.Serialize(new { type = "message", messageId = $"big-{i}", text = LargeText }));
            }
        });
        for (var i = 0; i < 10; i++)
        {
            await link.ReadFrameAsync("ack");
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        await sending.WaitAsync(TestServer.Patience);
        var delivered = await ReadMessagesAsync(bob, 10);

        // About 600 KB against 64 KB at once and 256 KB/s. The 10th is read as soon as the 9 before
        // it are paid for: 1.81 s at the least, where messages paced by count alone pass at once.
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.5), $"10 messages of 60 KB were acked in {elapsed.TotalMilliseconds:0} ms; the bucket allows 64 KB then 256 KB/s");
        Assert.Equal(10, delivered.Count);
    }

    [Fact]
    public async Task TwoLinksFromOneUser_ShareOneBucket()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", new ChatClientOptions { DirectFloodBurst = 4, DirectFloodRate = 10 });
        using var first = await RawClient.OpenDirectLinkAsync(alice, bob);
        using var second = await RawClient.OpenDirectLinkAsync(alice, bob);

        var started = Stopwatch.GetTimestamp();
        var floods = new[] { first, second }.Select((link, n) => Task.Run(async () =>
        {
            await link.SendAsync(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 12).Select(i => $"{{\"type\":\"message\",\"messageId\":\"l{n}-{i}\",\"text\":\"x\"}}\n"))));
            for (var i = 0; i < 12; i++)
            {
                await link.ReadFrameAsync("ack");
            }
        }));
        await Task.WhenAll(floods).WaitAsync(TestServer.Patience);
        var elapsed = Stopwatch.GetElapsedTime(started);

        // 24 messages against 4 at once and 10/s for the user. A message is read as soon as the debt
        // before it is paid, so each link's last one passes when 22 are paid for: 1.8 s at the
        // least (a run has taken 1,799 ms, the timers rounding to milliseconds), where a bucket per
        // link would let both through in 0.7 s.
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.5), $"24 messages over two links were acked in {elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(24, (await ReadMessagesAsync(bob, 24)).Count);
    }

    [Fact]
    public async Task ASenderToAPacedReceiver_WaitsAndLosesNothing()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", new ChatClientOptions { DirectFloodBurst = 5, DirectFloodRate = 20 });

        var receipts = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => alice.SendAsync("bob", $"n{i}", route: RoutePreference.Direct))).WaitAsync(TestServer.Patience);
        var delivered = await ReadMessagesAsync(bob, 30);

        Assert.All(receipts, r => Assert.Equal(MessageRoute.Direct, r.Route));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"n{i}").Order(), delivered.Select(m => m.Text).Order());
        Assert.Equal(0, server.Server.GetStatistics().MessagesRelayed);
    }

    [Fact]
    public async Task TheInbox_StaysWithinItsLimitInBytes_UnderADirectFlood_AndKeepsTheNewest()
    {
        const long limitBytes = 1024 * 1024;
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob", new ChatClientOptions { DirectFloodBurstBytes = 64L * 1024 * 1024 });
        var inbox = new ChatInbox(bob, limitBytes: limitBytes);
        using var link = await RawClient.OpenDirectLinkAsync(alice, bob);

        var peak = 0L;
        for (var i = 0; i < 40; i++)
        {
            await link.SendLineAsync(JsonSerializer.Serialize(new { type = "message", messageId = $"big-{i}", text = LargeText }));
            await link.ReadFrameAsync("ack");
            peak = Math.Max(peak, inbox.Bytes);
        }

        await server.WaitUntilAsync(() => inbox.Count + inbox.Dropped == 40, "the inbox took all 40 messages");
        var kept = await inbox.TakeAsync(_ => true, int.MaxValue, TimeSpan.Zero, waitForAll: false, CancellationToken.None);

        var oneMessage = ChatInbox.SizeOf(kept[^1]);
        Assert.True(peak <= limitBytes, $"the inbox held {peak} bytes, over its limit of {limitBytes}");
        Assert.InRange(kept.Count, (limitBytes / oneMessage) - 1, limitBytes / oneMessage);
        Assert.Equal(40 - kept.Count, inbox.Dropped);
        Assert.Equal("big-39", ((ChatMessage)kept[^1]).MessageId);
        Assert.Equal(0, inbox.Bytes);
    }

    [Fact]
    public async Task LongMessageIds_AreRememberedWithinABoundInCharacters()
    {
        // Ids are the sender's choice: 40 of 60,000 characters would be 4.8 MB kept for two minutes.
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        using var link = await RawClient.OpenDirectLinkAsync(alice, bob);

        for (var i = 0; i < 40; i++)
        {
            await link.SendLineAsync(JsonSerializer.Serialize(new { type = "message", messageId = $"{i:00}" + LargeText, text = "x" }));
            await link.ReadFrameAsync("ack");
        }

        var delivered = await ReadMessagesAsync(bob, 40);

        Assert.InRange(bob.RecentDirectIdChars, 1, 1024 * 1024);
        Assert.Equal(40, delivered.Count);
    }

    private static async Task<List<ChatMessage>> ReadMessagesAsync(ChatClient client, int count)
    {
        var messages = new List<ChatMessage>();
        while (messages.Count < count)
        {
            messages.Add((ChatMessage)await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience));
        }

        return messages;
    }
}
