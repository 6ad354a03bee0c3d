using System.Security.Cryptography;
using System.Text;

namespace PeerChat.Core.Web;

/// <summary>
/// Whether a request to <c>/ws</c> may become a WebSocket (RFC 6455 section 4.2), and as which
/// subprotocol; a pure function of the request and the settings.
/// </summary>
internal static class WebSocketHandshake
{
    /// <summary>One peerchat/1 frame per text message.</summary>
    public const string PeerChatProtocol = "peerchat.v1";

    /// <summary>One IRC line per text message (the IRCv3 WebSocket specification).</summary>
    public const string IrcProtocol = "text.ircv3.net";

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const string VersionHeader = "Sec-WebSocket-Version: 13\r\n";

    /// <summary>
    /// The upgrade's answer: an error response to send before closing, or (when null) the
    /// <paramref name="accept"/> value and the chosen <paramref name="subProtocol"/>;
    /// <paramref name="echoProtocol"/> is false when the client named none, so the 101 names none.
    /// </summary>
    public static byte[]? Check(HttpRequest request, bool secure, string[]? allowedOrigins, out string accept, out string subProtocol, out bool echoProtocol)
    {
        accept = string.Empty;
        subProtocol = PeerChatProtocol;
        echoProtocol = false;
        if (!request.HasToken("Upgrade", "websocket"))
        {
            return HttpResponses.Error(426, "/ws is a WebSocket endpoint: send Upgrade: websocket.", "Upgrade: websocket\r\n" + VersionHeader);
        }

        if (!request.HasToken("Connection", "Upgrade") || request.Version != "HTTP/1.1")
        {
            return HttpResponses.Error(400, "A WebSocket upgrade is an HTTP/1.1 request with Connection: Upgrade.");
        }

        if (request["Sec-WebSocket-Version"] != "13")
        {
            return HttpResponses.Error(426, "Only WebSocket version 13 is spoken here.", VersionHeader);
        }

        if (request.Count("Sec-WebSocket-Key") != 1 || !IsKey(request["Sec-WebSocket-Key"]!))
        {
            return HttpResponses.Error(400, "Sec-WebSocket-Key must be the base64 of 16 bytes.");
        }

        var origin = request["Origin"];
        if (origin is not null && (request.Count("Origin") != 1 || !OriginAllowed(origin, request["Host"]!, secure, allowedOrigins)))
        {
            return HttpResponses.Error(403, $"Origin {origin} may not open a WebSocket here (see the server's WebAllowedOrigin).");
        }

        if (request["Sec-WebSocket-Protocol"] is { } offered)
        {
            var chosen = offered.Split(',', StringSplitOptions.TrimEntries)
                .FirstOrDefault(p => p is PeerChatProtocol or IrcProtocol);
            if (chosen is null)
            {
                return HttpResponses.Error(400, $"No subprotocol spoken here was offered; the server speaks {PeerChatProtocol} and {IrcProtocol}.");
            }

            subProtocol = chosen;
            echoProtocol = true;
        }

        // SHA-1 because RFC 6455 says so; it proves nothing secret, only that the server read the key.
#pragma warning disable CA5350
        accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(request["Sec-WebSocket-Key"]! + AcceptGuid)));
#pragma warning restore CA5350
        return null;
    }

    private static bool IsKey(string key)
    {
        Span<byte> bytes = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, bytes, out var written) && written == 16;
    }

    /// <summary>
    /// Any origin with <c>*</c>; an origin listed; or the page's own: the Origin's host and port
    /// are those of the Host the request was sent to (default ports by the scheme of each).
    /// </summary>
    internal static bool OriginAllowed(string origin, string host, bool secure, string[]? allowedOrigins)
    {
        foreach (var allowed in allowedOrigins ?? [])
        {
            if (allowed == "*" || string.Equals(allowed.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        if (host.AsSpan().IndexOfAny("/@?#\\") >= 0
            || !Uri.TryCreate(origin, UriKind.Absolute, out var from)
            || from.Scheme is not ("http" or "https")
            || from.PathAndQuery != "/" || origin.EndsWith('/')
            || !Uri.TryCreate((secure ? "https://" : "http://") + host, UriKind.Absolute, out var to))
        {
            return false;
        }

        return string.Equals(from.IdnHost, to.IdnHost, StringComparison.OrdinalIgnoreCase) && from.Port == to.Port;
    }
}
