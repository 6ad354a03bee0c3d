using System.Buffers;
using System.Text;

namespace PeerChat.Core.Web;

/// <summary>What <see cref="HttpRequestParser.TryParse"/> made of the bytes so far.</summary>
internal enum HttpParseStatus
{
    /// <summary>A whole request head was read.</summary>
    Complete,

    /// <summary>No blank line yet, and within the limits: read more.</summary>
    Incomplete,

    /// <summary>Not a request this server reads: answer 400.</summary>
    Malformed,

    /// <summary>More than <see cref="HttpRequestParser.MaxHeaderBytes"/> or <see cref="HttpRequestParser.MaxHeaders"/>: answer 431.</summary>
    TooLarge,
}

/// <summary>
/// A strict, bounded reader of HTTP/1.1 request heads (RFC 9112), a pure function over bytes so
/// that the fuzzer can drive it. It reads what browsers and WebSocket clients send and refuses the
/// rest: CR LF line ends only, no folded lines, no whitespace before a colon, tokens for the method
/// and names, visible ASCII in the target, at most <see cref="MaxHeaderBytes"/> bytes and
/// <see cref="MaxHeaders"/> headers. It never reads a body: the web port answers requests without one.
/// </summary>
internal static class HttpRequestParser
{
    /// <summary>The most the request line and headers may take, with their line ends and the blank line.</summary>
    public const int MaxHeaderBytes = 8 * 1024;

    public const int MaxHeaders = 64;

    private const int MaxMethodLength = 16;

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>
    /// Reads a request head from the start of <paramref name="input"/>. On <see cref="HttpParseStatus.Complete"/>,
    /// <paramref name="request"/> is set and <paramref name="consumed"/> is the length of the head;
    /// on Malformed or TooLarge, <paramref name="error"/> says why, in a sentence for the client.
    /// </summary>
    public static HttpParseStatus TryParse(ReadOnlySequence<byte> input, out HttpRequest? request, out long consumed, out string? error)
    {
        request = null;
        consumed = 0;
        error = null;

        // Only the first MaxHeaderBytes can hold a head; copied flat, as a head is small.
        var length = (int)Math.Min(input.Length, MaxHeaderBytes);
        Span<byte> head = stackalloc byte[length];
        input.Slice(0, length).CopyTo(head);

        var end = head.IndexOf(HeadEnd);
        if (end < 0)
        {
            if (input.Length >= MaxHeaderBytes)
            {
                error = $"The request line and headers may take at most {MaxHeaderBytes} bytes.";
                return HttpParseStatus.TooLarge;
            }

            // A bare LF, or a NUL, can be refused before the rest arrives.
            return Scan(head, out error) ? HttpParseStatus.Incomplete : HttpParseStatus.Malformed;
        }

        var status = Parse(head[..(end + 2)], out request, out error);
        if (status == HttpParseStatus.Complete)
        {
            consumed = end + HeadEnd.Length;
        }

        return status;
    }

    /// <summary>False when the bytes so far already break a rule that more bytes cannot mend.</summary>
    private static bool Scan(ReadOnlySpan<byte> bytes, out string? error)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r'))
            {
                error = "Lines must end in CR LF.";
                return false;
            }

            if (bytes[i] == 0)
            {
                error = "A NUL byte in the request.";
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary><paramref name="head"/> is the request line and headers, each ending in CR LF.</summary>
    private static HttpParseStatus Parse(ReadOnlySpan<byte> head, out HttpRequest? request, out string? error)
    {
        request = null;
        if (!Scan(head, out error))
        {
            return HttpParseStatus.Malformed;
        }

        var lineEnd = head.IndexOf("\r\n"u8);
        if (!ParseRequestLine(head[..lineEnd], out var method, out var target, out var version, out error))
        {
            return HttpParseStatus.Malformed;
        }

        var headers = new List<KeyValuePair<string, string>>();
        var rest = head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = rest[..lineEnd];
            rest = rest[(lineEnd + 2)..];
            if (headers.Count == MaxHeaders)
            {
                error = $"A request may have at most {MaxHeaders} headers.";
                return HttpParseStatus.TooLarge;
            }

            if (!ParseHeader(line, out var header, out error))
            {
                return HttpParseStatus.Malformed;
            }

            headers.Add(header);
        }

        request = new HttpRequest(method, target, version, headers);
        if (request.Count("Host") != 1)
        {
            error = "A request must have one Host header.";
            request = null;
            return HttpParseStatus.Malformed;
        }

        return HttpParseStatus.Complete;
    }

    private static bool ParseRequestLine(ReadOnlySpan<byte> line, out string method, out string target, out string version, out string? error)
    {
        method = target = version = string.Empty;
        var firstSpace = line.IndexOf((byte)' ');
        var lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace == firstSpace)
        {
            error = "The request line must be METHOD /path HTTP/1.1.";
            return false;
        }

        var methodBytes = line[..firstSpace];
        var targetBytes = line[(firstSpace + 1)..lastSpace];
        var versionBytes = line[(lastSpace + 1)..];
        if (methodBytes.Length > MaxMethodLength || !IsToken(methodBytes))
        {
            error = "The method is not an HTTP token.";
            return false;
        }

        if (targetBytes.IsEmpty || targetBytes[0] != '/' || !IsVisibleAscii(targetBytes))
        {
            error = "The request target must be a path starting with /, in visible ASCII.";
            return false;
        }

        if (!versionBytes.SequenceEqual("HTTP/1.1"u8) && !versionBytes.SequenceEqual("HTTP/1.0"u8))
        {
            error = "Only HTTP/1.1 (and 1.0) are spoken here.";
            return false;
        }

        method = Encoding.ASCII.GetString(methodBytes);
        target = Encoding.ASCII.GetString(targetBytes);
        version = Encoding.ASCII.GetString(versionBytes);
        error = null;
        return true;
    }

    private static bool ParseHeader(ReadOnlySpan<byte> line, out KeyValuePair<string, string> header, out string? error)
    {
        header = default;
        if (!line.IsEmpty && line[0] is (byte)' ' or (byte)'\t')
        {
            error = "Folded header lines are not accepted.";
            return false;
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            error = "A header line must be a name (a token), a colon and a value.";
            return false;
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            // Field content: visible characters, spaces, tabs and obs-text; no controls.
            if (b is < 0x20 and not (byte)'\t' or 0x7F)
            {
                error = "A header value holds a control character.";
                return false;
            }
        }

        header = new(Encoding.ASCII.GetString(line[..colon]), Encoding.Latin1.GetString(value));
        error = null;
        return true;
    }

    // RFC 9110 tchar.
    private static bool IsToken(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            var ok = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                || "!#$%&'*+-.^_`|~"u8.Contains(b);
            if (!ok)
            {
                return false;
            }
        }

        return !bytes.IsEmpty;
    }

    private static bool IsVisibleAscii(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is <= 0x20 or >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }
}
