using System.Diagnostics;
using System.Text;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;
using Xunit.Abstractions;

namespace PeerChat.Core.Tests;

/// <summary>A sender that does not wait for each commit: its messages wait for the store together, and every answer still comes in request order.</summary>
public sealed class StoredMessageOrderTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PipelinedMessages_AreAnsweredInRequestOrder_WithErrorsAndOtherRequestsInPlace()
    {
        await using var server = await TestServer.StartWithStoreAsync(TestServer.WithoutFloodControl);
        using var alice = await server.LoginRawAsync("alice");
        using var bob = await server.LoginRawAsync("bob");
        await alice.RequestAsync(new { type = "join", id = "j", room = "ops" });
        const int count = 1000;
        var lines = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            lines.Append(i switch
            {
                500 => $$"""{"type":"broadcast","id":{{i}},"room":"nowhere","text":"m{{i}}"}""",
                700 => $$"""{"type":"ping","id":{{i}}}""",
                _ when i % 3 == 0 => $$"""{"type":"send","id":{{i}},"to":"bob","text":"m{{i}}"}""",
                _ => $$"""{"type":"broadcast","id":{{i}},"room":"ops","text":"m{{i}}"}""",
            }).Append('\n');
        }

        var watch = Stopwatch.StartNew();
        await alice.SendAsync(Encoding.UTF8.GetBytes(lines.ToString()));
        var answers = new List<(int Re, string Type)>();
        for (var i = 0; i < count; i++)
        {
            var frame = await alice.ReadFrameAsync();
            answers.Add((frame.GetProperty("re").GetInt32(), frame.Type() == "error" ? frame.Code()! : frame.Type()));
        }

        watch.Stop();
        output.WriteLine($"{count} requests answered in {watch.ElapsedMilliseconds} ms");
        var history = await alice.RequestAsync(new { type = "history", id = "h", room = "ops", limit = 200 });

        Assert.Equal(Enumerable.Range(0, count), answers.Select(a => a.Re));
        Assert.Equal(ErrorCodes.NoSuchRoom, answers[500].Type);
        Assert.Equal("pong", answers[700].Type);
        Assert.All(answers.Where(a => a.Re is not (500 or 700)), a => Assert.Equal("sent", a.Type));
        Assert.Equal("m998", history.GetProperty("messages")[199].Str("text"));
    }
}
