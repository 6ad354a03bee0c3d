using System.Buffers;
using System.Text;
using PeerChat.Core.Web;

namespace PeerChat.Core.Tests.Web;

/// <summary>The strict request parser, as a pure function over bytes (the fuzzer's view of it).</summary>
public sealed class HttpRequestParserTests
{
    private static HttpParseStatus Parse(string text, out HttpRequest? request, out long consumed, out string? error) =>
        HttpRequestParser.TryParse(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), out request, out consumed, out error);

    [Fact]
    public void AWholeHead_IsRead_WithItsHeadersAndLength()
    {
        const string head = "GET /ws?x=1 HTTP/1.1\r\nHost: a:1\r\nSec-WebSocket-Protocol: a\r\nsec-websocket-protocol:  b \r\n\r\n";

        var status = Parse(head + "extra", out var request, out var consumed, out _);

        Assert.Equal(HttpParseStatus.Complete, status);
        Assert.Equal(head.Length, consumed);
        Assert.Equal(("GET", "/ws", "HTTP/1.1"), (request!.Method, request.Path, request.Version));
        Assert.Equal("a, b", request["SEC-WEBSOCKET-PROTOCOL"]);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n")]
    [InlineData("GET / HTT")]
    [InlineData("")]
    public void APartialHead_IsIncomplete(string text) =>
        Assert.Equal(HttpParseStatus.Incomplete, Parse(text, out _, out _, out _));

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: a\n\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost : a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\u0001b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")]
    [InlineData("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET * HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("G(T / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/2\r\nHost: a\r\n\r\n")]
    [InlineData("\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\0")]
    public void ABrokenHead_IsMalformed_WithAReason(string text)
    {
        Assert.Equal(HttpParseStatus.Malformed, Parse(text, out var request, out _, out var error));
        Assert.Null(request);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TheLimits_AreTooLarge_AtTheirEdge()
    {
        static string Headers(int count) => string.Concat(Enumerable.Range(0, count).Select(i => $"X-{i}: v\r\n"));

        Assert.Equal(HttpParseStatus.Complete, Parse($"GET / HTTP/1.1\r\nHost: a\r\n{Headers(HttpRequestParser.MaxHeaders - 1)}\r\n", out _, out _, out _));
        Assert.Equal(HttpParseStatus.TooLarge, Parse($"GET / HTTP/1.1\r\nHost: a\r\n{Headers(HttpRequestParser.MaxHeaders)}\r\n", out _, out _, out _));

        var fits = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
        fits += new string('v', HttpRequestParser.MaxHeaderBytes - fits.Length - 4) + "\r\n\r\n";
        Assert.Equal(HttpParseStatus.Complete, Parse(fits, out _, out _, out _));
        Assert.Equal(HttpParseStatus.TooLarge, Parse(fits.Insert(30, "v"), out _, out _, out _));
        Assert.Equal(HttpParseStatus.TooLarge, Parse("GET / HTTP/1.1\r\nX: " + new string('v', HttpRequestParser.MaxHeaderBytes), out _, out _, out _));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", "127.0.0.1:8080", false, true)]
    [InlineData("http://LOCALHOST:8080", "localhost:8080", false, true)]
    [InlineData("https://chat.example.com", "chat.example.com", true, true)]
    [InlineData("https://chat.example.com", "chat.example.com:443", true, true)]
    [InlineData("http://127.0.0.1:8081", "127.0.0.1:8080", false, false)]
    [InlineData("http://evil.example:8080", "127.0.0.1:8080", false, false)]
    [InlineData("null", "127.0.0.1:8080", false, false)]
    [InlineData("http://127.0.0.1:8080/path", "127.0.0.1:8080", false, false)]
    [InlineData("http://127.0.0.1", "127.0.0.1@evil:80", false, false)]
    public void TheOwnOrigin_IsTheHostAndPortOfTheRequest(string origin, string host, bool secure, bool allowed) =>
        Assert.Equal(allowed, WebSocketHandshake.OriginAllowed(origin, host, secure, null));
}
