using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests.Web;

/// <summary>The page at <c>/</c>, and the security headers on every response of the web port.</summary>
public sealed class WebPageTests
{
    private static readonly string[] SecurityHeaders =
        ["Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cache-Control"];

    [Fact]
    public async Task Root_ServesIndexHtml_WithTheSecurityHeaders()
    {
        await using var server = await TestServer.StartAsync(o => o with { WebPort = 0 });

        var page = await RawHttp.SendAsync(server.Server.WebPort, $"GET / HTTP/1.1\r\nHost: 127.0.0.1:{server.Server.WebPort}\r\n\r\n");
        var byName = await RawHttp.SendAsync(server.Server.WebPort, $"GET /index.html HTTP/1.1\r\nHost: 127.0.0.1:{server.Server.WebPort}\r\n\r\n");

        Assert.Equal(200, page.Status);
        Assert.Equal("text/html; charset=utf-8", page.Headers["Content-Type"]);
        Assert.Contains("<html", page.Body, StringComparison.Ordinal);
        Assert.Equal(page.Body, byName.Body);
        AssertSecurityHeaders(page);
        Assert.Equal("close", page.Headers["Connection"]);
    }

    [Theory]
    [InlineData("GET /nothing-here.js HTTP/1.1", 404)]
    [InlineData("GET /../PeerChat.Core.dll HTTP/1.1", 404)]
    [InlineData("POST / HTTP/1.1", 405)]
    [InlineData("HEAD / HTTP/1.1", 405)]
    [InlineData("GET / HTTP/2.0", 400)]
    [InlineData("GET noslash HTTP/1.1", 400)]
    public async Task OtherRequests_GetTheirErrors_WithTheSecurityHeaders(string requestLine, int status)
    {
        await using var server = await TestServer.StartAsync(o => o with { WebPort = 0 });

        var response = await RawHttp.SendAsync(server.Server.WebPort, $"{requestLine}\r\nHost: 127.0.0.1\r\n\r\n");

        Assert.Equal(status, response.Status);
        AssertSecurityHeaders(response);
    }

    internal static void AssertSecurityHeaders(RawHttpResponse response)
    {
        foreach (var name in SecurityHeaders)
        {
            Assert.True(response.Headers.ContainsKey(name), $"{response.Status} has no {name}");
        }

        Assert.Equal(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            response.Headers["Content-Security-Policy"]);
        Assert.Equal("nosniff", response.Headers["X-Content-Type-Options"]);
        Assert.Equal("DENY", response.Headers["X-Frame-Options"]);
        Assert.Equal("no-referrer", response.Headers["Referrer-Policy"]);
        Assert.Equal("no-store", response.Headers["Cache-Control"]);
    }
}
