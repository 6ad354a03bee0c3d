using System.Text;

namespace PeerChat.Core.Web;

/// <summary>The web port's responses, each with the same security headers (docs/WEB.md).</summary>
internal static class HttpResponses
{
    /// <summary>The page's scripts, styles and images come from this server only, and it opens no connection elsewhere, is framed nowhere, posts no form.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private const string SecurityHeaders =
        "Content-Security-Policy: " + ContentSecurityPolicy + "\r\n" +
        "X-Content-Type-Options: nosniff\r\n" +
        "X-Frame-Options: DENY\r\n" +
        "Referrer-Policy: no-referrer\r\n" +
        "Cache-Control: no-store\r\n";

    /// <summary>A whole response that closes the connection after it.</summary>
    public static byte[] Build(int status, string contentType, ReadOnlySpan<byte> body, string? extraHeaders = null)
    {
        var head = $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n" +
            $"Content-Type: {contentType}\r\n" +
            $"Content-Length: {body.Length}\r\n" +
            SecurityHeaders +
            extraHeaders +
            "Connection: close\r\n\r\n";
        var bytes = new byte[Encoding.ASCII.GetByteCount(head) + body.Length];
        var written = Encoding.ASCII.GetBytes(head, bytes);
        body.CopyTo(bytes.AsSpan(written));
        return bytes;
    }

    /// <summary>An error with its reason as plain text, for a person or a script to read.</summary>
    public static byte[] Error(int status, string message, string? extraHeaders = null) =>
        Build(status, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes($"{status} {ReasonPhrase(status)}: {message}\n"), extraHeaders);

    /// <summary>The answer to a WebSocket upgrade; the connection stays open for its frames.</summary>
    public static byte[] SwitchingProtocols(string accept, string? subProtocol) =>
        Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Accept: {accept}\r\n" +
            (subProtocol is null ? string.Empty : $"Sec-WebSocket-Protocol: {subProtocol}\r\n") +
            SecurityHeaders +
            "\r\n");

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
}
