using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>A direct link's sender reads its acks in place (PeerFrames.ReadAck), with the checks a parsed frame gets.</summary>
public sealed class DirectAckTests
{
    [Theory]
    [InlineData("""{"type":"ack","messageId":"d1-2"}""", "d1-2")]
    [InlineData("""  {"messageId":"d1-2" , "type":"ack"}  """, "d1-2")]
    [InlineData("""{"type":"ack","messageId":"\u0064\u0031-2"}""", "d1-2")]
    [InlineData("""{"type":"ack","messageId":"x","messageId":"d1-2"}""", "d1-2")]
    [InlineData("""{"type":"ack","data":{"messageId":"inner"},"messageId":"d1-2"}""", "d1-2")]
    [InlineData("""{"type":"message","messageId":"d1-2"}""", null)]
    [InlineData("""{"type":"ack","messageId":7}""", null)]
    [InlineData("""{"type":"ack"}""", null)]
    [InlineData("""{"type":"ack","messageId":"too long"}""", null)]
    [InlineData("""{"type":"ack","type":"other","messageId":"d1-2"}""", null)]
    [InlineData("""{"type":"ack","messageId":"d1-2"} {}""", null)]
    [InlineData("""{"type":"ack","messageId":"d1-2\ud800"}""", null)]
    [InlineData("""{"\ud800":0,"type":"ack","messageId":"d1-2"}""", null)]
    [InlineData("""{"type":"\ud800","messageId":"d1-2"}""", null)]
    [InlineData("""{"type":"a\udc00"}""", null)]
    [InlineData("{\"type\":\"\\ud800\"", null)]
    [InlineData("""{"type":"ack","messageId":"d1-2""", null)]
    [InlineData("""["ack"]""", null)]
    [InlineData("""{"messageId":"d1-2"}""", null)]
    [InlineData("""{"type":1,"messageId":"d1-2"}""", null)]
    [InlineData("", null)]
    public void ReadAck_FindsTheId_OnlyInAnAck_AndFaultsWhereAParsedFrameWould(string line, string? expectedId)
    {
        var utf8 = Encoding.UTF8.GetBytes(line);
        Span<char> id = stackalloc char[6];

        var fault = PeerFrames.ReadAck(utf8, id, out var length);

        Assert.Equal(JsonFrame.TryParse(utf8, out _), fault);
        Assert.Equal(expectedId, length >= 0 ? id[..length].ToString() : null);
    }

    [Fact]
    public void ReadAck_RefusesALineThatIsNotUtf8_AsAParsedFrameWould()
    {
        byte[] line = [.. """{"type":"ack","messageId":"d1"""u8, 0xff, .. "\"}"u8];

        Assert.Equal(FrameFault.NotUtf8, PeerFrames.ReadAck(line, new char[8], out var length));
        Assert.Equal(-1, length);
    }

    [Fact]
    public async Task AnEscapedAck_CompletesTheSend_AndAMalformedOne_ClosesTheLinkAtOnce()
    {
        // Bob's "client" is the test's own listener: it acks the first message with its id written in
        // JSON escapes, after lines that name the id without being its ack, and answers the second
        // with a line that is not one JSON value.
        await using var server = await TestServer.StartAsync();
        using var bobsListener = new TcpListener(IPAddress.Loopback, 0);
        bobsListener.Start();
        var bobsPort = ((IPEndPoint)bobsListener.LocalEndpoint).Port;
        using var bob = await server.LoginRawAsync("bob", $",\"peer\":{{\"port\":{bobsPort}}}");
        var alice = await server.LoginAsync("alice", new ChatClientOptions { RequestTimeout = TimeSpan.FromMinutes(1) });
        var peer = Task.Run(async () =>
        {
            using var link = await bobsListener.AcceptTcpClientAsync().WaitAsync(TestServer.Patience);
            var stream = link.GetStream();
            using var lines = new StreamReader(stream, Encoding.UTF8);
            await lines.ReadLineAsync().WaitAsync(TestServer.Patience);
            await stream.WriteAsync("{\"type\":\"peer_welcome\"}\n"u8.ToArray());

            var first = MessageId(await lines.ReadLineAsync().WaitAsync(TestServer.Patience));
            var escaped = string.Concat(first.Select(c => $"\\u{(int)c:x4}"));
            await stream.WriteAsync(Encoding.UTF8.GetBytes(
                $"{{\"type\":\"note\",\"messageId\":\"{first}\"}}\n{{\"type\":\"ack\",\"messageId\":\"other\"}}\n{{\"type\":\"ack\",\"messageId\":\"{escaped}\"}}\n"));

            var second = MessageId(await lines.ReadLineAsync().WaitAsync(TestServer.Patience));
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"ack\",\"messageId\":\"{second}\"}}}}\n"));

            // Until alice's side closes the link: it must, for the malformed line, and long before
            // RequestTimeout. Then the retry on a new link that a failed direct send makes is refused.
            var afterMalformed = await lines.ReadLineAsync().WaitAsync(TestServer.Patience);
            using var retry = await bobsListener.AcceptTcpClientAsync().WaitAsync(TestServer.Patience);
            return afterMalformed;
        });

        var acked = await alice.SendAsync("bob", "first", route: RoutePreference.Direct).WaitAsync(TestServer.Patience);
        var refused = await Assert.ThrowsAsync<ChatClientException>(() => alice.SendAsync("bob", "second", route: RoutePreference.Direct).WaitAsync(TestServer.Patience));
        var afterMalformed = await peer.WaitAsync(TestServer.Patience);

        Assert.Equal(MessageRoute.Direct, acked.Route);
        Assert.Equal(ErrorCodes.PeerUnavailable, refused.Code);
        Assert.Null(afterMalformed);
    }

    private static string MessageId(string? line)
    {
        Assert.NotNull(line);
        using var frame = JsonDocument.Parse(line);
        Assert.Equal("message", frame.RootElement.GetProperty("type").GetString());
        return frame.RootElement.GetProperty("messageId").GetString()!;
    }
}
