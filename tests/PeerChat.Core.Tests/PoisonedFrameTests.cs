using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// A string escaping a lone surrogate (<c>"\ud800"</c>) is valid JSON but no string: it must be
/// refused where it enters, and never cost the messages around it (issue 11, finding 4).
/// </summary>
public sealed class PoisonedFrameTests
{
    [Theory]
    [InlineData("""{"type":"message","messageId":"m-2","text":"poisoned data","data":{"x":"\ud800"}}""")]
    [InlineData("""{"type":"message","messageId":"m-2","text":"poisoned text \udc00"}""")]
    [InlineData("""{"type":"message","messageId":"m-2","text":"no low half \ud83d\n"}""")]
    public async Task ALoneSurrogateOnADirectLink_IsRefusedWithBadFrame_AndTheOtherMessagesArrive(string poisoned)
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.LoginAsync("alice");
        var bob = await server.LoginAsync("bob");
        using var link = await RawClient.OpenDirectLinkAsync(alice, bob);

        await link.SendLineAsync("""{"type":"message","messageId":"m-1","text":"before"}""");
        await link.ReadFrameAsync("ack");
        await link.SendLineAsync(poisoned);
        var refusal = await link.ReadFrameAsync();
        var afterRefusal = await link.ReadUntilClosedAsync();
        await alice.SendAsync("bob", "after", route: RoutePreference.Direct);
        var delivered = new[] { await ReadMessageAsync(bob), await ReadMessageAsync(bob) };

        refusal.AssertError(ErrorCodes.BadFrame);
        Assert.Empty(afterRefusal);
        Assert.Equal(["before", "after"], delivered.Select(m => m.Text));
        Assert.False(bob.Events.TryRead(out var extra), $"the poisoned message was delivered: {extra}");
    }

    [Fact]
    public async Task ALoneSurrogateFromTheServer_IsSkippedWithANotice_AndTheConnectionStays()
    {
        // A server (hostile, or older than its own check) relays a poisoned message between two good ones.
        using var fake = new TcpListener(IPAddress.Loopback, 0);
        fake.Start();
        var serving = ServeAsync(fake, [
            """{"type":"hello","protocol":"peerchat/1","server":"fake","auth":["password"]}""",
            """{"type":"message","kind":"broadcast","route":"relay","messageId":"m1","from":"carol","text":"before"}""",
            """{"type":"message","kind":"broadcast","route":"relay","messageId":"m2","from":"mallory","text":"\udc00","data":{"\ud800":1}}""",
            """{"type":"pong","re":"not a number"}""",
            """{"type":"pong","re":{"an":"object"}}""",
            """{"type":"message","kind":"broadcast","route":"relay","messageId":"m3","from":"dave","text":"after"}""",
        ]);
        await using var client = await ChatClient.ConnectAsync("127.0.0.1", ((IPEndPoint)fake.LocalEndpoint).Port, new ChatClientOptions { EnableDirect = false });

        var events = new List<ChatEvent>();
        for (var i = 0; i < 3; i++)
        {
            events.Add(await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience));
        }

        // The surrogate is told; a reply with an unreadable 're' answers nothing and is just not matched.
        Assert.Equal("before", Assert.IsType<ChatMessage>(events[0]).Text);
        var skipped = Assert.IsType<ChatNotice>(events[1]);
        Assert.Equal((ErrorCodes.ProtocolViolation, false), (skipped.Code, skipped.ClosesConnection));
        Assert.Equal("after", Assert.IsType<ChatMessage>(events[2]).Text);
        Assert.True(client.IsConnected, $"one bad frame closed the connection: {client.CloseReason?.Message}");
        await client.DisposeAsync();
        await serving.WaitAsync(TestServer.Patience);
    }

    [Theory]
    [InlineData("""{"a":"\ud800"}""", true)]
    [InlineData("""{"a":"\udc00"}""", true)]
    [InlineData("""{"\ud800":1}""", true)]
    [InlineData("""{"a":"\ud83d\u0041"}""", true)]
    [InlineData("""{"a":"\ud83d\n"}""", true)]
    [InlineData("""{"a":"\ud83dx"}""", true)]
    [InlineData("""{"a":"\ud83d","b":"\ude00"}""", true)]
    [InlineData("""{"a":"\ud83d\ude00"}""", false)]
    [InlineData("""{"a":"\uD83D\uDE00 \u00e9 \n \\ud800"}""", false)]
    [InlineData("""{"a":"plain","b":[1,2,{"c":"d"}]}""", false)]
    public void HasLoneSurrogate_FindsEveryUnpairedEscape_AndNothingElse(string json, bool expected)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        using var document = JsonDocument.Parse(bytes);

        Assert.Equal(expected, JsonStrings.HasLoneSurrogate(bytes));
        Assert.Equal(expected, JsonStrings.HasLoneSurrogate(document.RootElement));
    }

    /// <summary>Says each line to the first connection, then waits for the client to close it.</summary>
    private static async Task ServeAsync(TcpListener listener, string[] lines)
    {
        using var socket = await listener.AcceptSocketAsync().WaitAsync(TestServer.Patience);
        await socket.SendAsync(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TestServer.Patience);
        while (await socket.ReceiveAsync(buffer, timeout.Token) > 0)
        {
            // The client's ping; its close ends this.
        }
    }

    private static async Task<ChatMessage> ReadMessageAsync(ChatClient client) =>
        (ChatMessage)await client.Events.ReadAsync().AsTask().WaitAsync(TestServer.Patience);
}
