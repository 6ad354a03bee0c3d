using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerChat.Core.Tests.Support;

/// <summary>An HTTP response as read off the wire: status, headers (names in any case), body.</summary>
public sealed record RawHttpResponse(int Status, Dictionary<string, string> Headers, string Body);

/// <summary>Hand-written HTTP requests over a raw socket, for the web port's errors.</summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="request"/> (CR LF line ends as written) and reads the response up to the server's close.</summary>
    public static async Task<RawHttpResponse> SendAsync(int port, string request, TimeSpan? timeout = null)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await socket.SendAsync(Encoding.Latin1.GetBytes(request));
        return await ReadResponseAsync(socket, timeout);
    }

    /// <summary>Reads a whole response, which this server always ends by closing (save a 101).</summary>
    public static async Task<RawHttpResponse> ReadResponseAsync(Socket socket, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TestServer.Patience);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            }
            catch (SocketException) when (received.Length > 0)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
        }

        return Parse(Encoding.UTF8.GetString(received.ToArray()));
    }

    public static RawHttpResponse Parse(string text)
    {
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(headEnd > 0, $"Not an HTTP response: {text}");
        var lines = text[..headEnd].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }

        return new RawHttpResponse(status, headers, text[(headEnd + 4)..]);
    }

    /// <summary>A well-formed WebSocket upgrade to <c>/ws</c>, with <paramref name="extraHeaders"/> (each ending in CR LF) and any header replaced by name.</summary>
    public static string Upgrade(int port, string extraHeaders = "", string version = "13", string key = "dGhlIHNhbXBsZSBub25jZQ==") =>
        $"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: {version}\r\nSec-WebSocket-Key: {key}\r\n{extraHeaders}\r\n";
}
