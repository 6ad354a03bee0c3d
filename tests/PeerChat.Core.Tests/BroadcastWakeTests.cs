using System.Text;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// A sender's receive loop wakes the receivers of what it handled once per read rather than once
/// per frame: nothing it queued may wait past that read, nor past a pause of the loop.
/// </summary>
public sealed class BroadcastWakeTests
{
    [Fact]
    public async Task ManyBroadcastsInOneRead_ReachEveryReceiverInOrder_AndALoneOneAfterThemArrivesToo()
    {
        await using var server = await TestServer.StartWithStoreAsync(TestServer.WithoutFloodControl);
        var receivers = new List<RawClient>();
        for (var i = 0; i < 3; i++)
        {
            receivers.Add(await server.LoginRawAsync($"reader{i}"));
        }

        using var sender = await server.LoginRawAsync("sender");
        const int Burst = 100;
        var lines = string.Concat(Enumerable.Range(1, Burst).Select(i => $"{{\"type\":\"broadcast\",\"id\":{i},\"text\":\"b{i}\"}}\n"));
        await sender.SendAsync(Encoding.UTF8.GetBytes(lines));
        var receipts = new List<int>();
        for (var i = 0; i < Burst; i++)
        {
            receipts.Add((await sender.ReadFrameAsync("sent")).GetProperty("re").GetInt32());
        }

        // A single broadcast in a read of its own: the wake deferred for it is the only one there is.
        await sender.SendLineAsync("""{"type":"broadcast","id":"lone","text":"lone"}""");
        await sender.ReadFrameAsync("sent");

        Assert.Equal(Enumerable.Range(1, Burst), receipts);
        foreach (var receiver in receivers)
        {
            var texts = new List<string>();
            for (var i = 0; i <= Burst; i++)
            {
                texts.Add((await receiver.ReadFrameAsync("message")).GetProperty("text").GetString()!);
            }

            Assert.Equal(Enumerable.Range(1, Burst).Select(i => $"b{i}").Append("lone"), texts);
            receiver.Dispose();
        }
    }

    [Fact]
    public async Task BroadcastsHandledBeforeAFloodPause_AreDeliveredWhileTheSenderStaysPaused()
    {
        // Five requests a burst (the login takes one), then one every 1,000 s: the sender's loop
        // pauses after its fourth broadcast for longer than the test waits.
        await using var server = await TestServer.StartAsync(o => o with { FloodBurst = 5, FloodRate = 0.001 });
        using var receiver = await server.LoginRawAsync("reader");
        using var sender = await server.LoginRawAsync("sender");

        var lines = string.Concat(Enumerable.Range(1, 8).Select(i => $"{{\"type\":\"broadcast\",\"id\":{i},\"text\":\"b{i}\"}}\n"));
        await sender.SendAsync(Encoding.UTF8.GetBytes(lines));
        var texts = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            texts.Add((await receiver.ReadFrameAsync("message")).GetProperty("text").GetString()!);
        }

        Assert.Equal(["b1", "b2", "b3", "b4"], texts);
        var limited = await sender.ReadFrameAsync();
        while (limited.Type() == "sent")
        {
            limited = await sender.ReadFrameAsync();
        }

        limited.AssertError(ErrorCodes.RateLimited);
    }
}
