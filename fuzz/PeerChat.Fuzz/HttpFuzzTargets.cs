using System.Buffers;
using System.Text;
using PeerChat.Core.Web;

namespace PeerChat.Fuzz;

/// <summary>
/// The web port's HTTP request parser under the fuzzer (target <c>http</c>). The input arrives as
/// the server reads it: in pieces, each read adding to what came before, until the parser decides.
/// It must decide the same whichever way the bytes were cut (all at once, at points the input
/// chooses, a byte at a time); never throw; stay within its limits; and a request it accepts must
/// obey the grammar and, written back out, parse to the same request.
/// </summary>
public static class HttpFuzzTargets
{
    // Byte-at-a-time arrival for at most this many bytes (then the rest at once): each step parses
    // everything so far, and a long input would make one run slow.
    private const int ByteAtATimeLimit = 1024;

    public static void Requests(byte[] input)
    {
        var whole = Arrive(input, [input.Length]);
        Check(input, whole);
        var steered = Arrive(input, CutPoints(input));
        var trickle = Arrive(input, [.. Enumerable.Range(1, Math.Min(input.Length, ByteAtATimeLimit)), input.Length]);
        foreach (var other in new[] { steered, trickle })
        {
            if (!SameDecision(whole, other))
            {
                throw new InvalidOperationException($"The parser decides differently when the bytes are cut: {whole} vs {other}.");
            }
        }
    }

    /// <summary>What the parser said at the first read after which it was no longer Incomplete (or after the last).</summary>
    private sealed record Decision(HttpParseStatus Status, HttpRequest? Request, long Consumed, string? Error, int Arrived)
    {
        public override string ToString() => $"{Status} after {Arrived} bytes ({Error ?? (Request is null ? "-" : Describe(Request))})";
    }

    private static Decision Arrive(byte[] input, IReadOnlyList<int> cuts)
    {
        var decision = new Decision(HttpParseStatus.Incomplete, null, 0, null, 0);
        var reads = new List<int> { 0 };
        foreach (var cut in cuts)
        {
            if (cut <= reads[^1])
            {
                continue;
            }

            reads.Add(cut);
            var status = HttpRequestParser.TryParse(Sequence(input, reads), out var request, out var consumed, out var error);
            decision = new Decision(status, request, consumed, error, cut);
            if (status != HttpParseStatus.Incomplete)
            {
                break;
            }
        }

        return decision;
    }

    private static void Check(byte[] input, Decision decision)
    {
        switch (decision.Status)
        {
            case HttpParseStatus.Complete:
                CheckAccepted(input, decision);
                break;
            case HttpParseStatus.Malformed or HttpParseStatus.TooLarge:
                if (decision.Request is not null || string.IsNullOrWhiteSpace(decision.Error))
                {
                    throw new InvalidOperationException($"A refusal without a reason, or with a request: {decision}.");
                }

                break;
            default:
                // Undecided: only when the head has not ended and the limit is not reached yet.
                if (input.Length >= HttpRequestParser.MaxHeaderBytes || input.AsSpan().IndexOf("\r\n\r\n"u8) >= 0)
                {
                    throw new InvalidOperationException($"Incomplete after {input.Length} bytes that hold a head's end or pass the limit.");
                }

                break;
        }
    }

    private static void CheckAccepted(byte[] input, Decision decision)
    {
        var request = decision.Request ?? throw new InvalidOperationException("A complete request came without the request.");
        var consumed = (int)decision.Consumed;
        if (consumed < 4 || consumed > HttpRequestParser.MaxHeaderBytes || consumed > input.Length
            || input.AsSpan(0, consumed).IndexOf("\r\n\r\n"u8) != consumed - 4)
        {
            throw new InvalidOperationException($"Consumed {consumed} bytes, which do not end at the first blank line within the limit.");
        }

        if (request.Headers.Count > HttpRequestParser.MaxHeaders || request.Count("Host") != 1)
        {
            throw new InvalidOperationException($"Accepted {request.Headers.Count} headers, {request.Count("Host")} of them Host.");
        }

        if (!IsToken(request.Method) || !request.Target.StartsWith('/') || request.Target.Any(c => c is <= ' ' or >= '\x7f')
            || request.Version is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            throw new InvalidOperationException($"Accepted a request line the grammar forbids: {Describe(request)}.");
        }

        foreach (var (name, value) in request.Headers)
        {
            if (!IsToken(name) || value.Any(c => c is < ' ' and not '\t' or '\x7f' or > '\xff') || value != value.Trim(' ', '\t'))
            {
                throw new InvalidOperationException($"Accepted a header the grammar forbids: {name}: {value}.");
            }
        }

        // Written back out, the request reads the same: what was accepted is a request, not an accident.
        var again = Arrive(Write(request), [Write(request).Length]);
        if (again.Status != HttpParseStatus.Complete || Describe(again.Request!) != Describe(request))
        {
            throw new InvalidOperationException($"The request written back parses differently: {again} vs {Describe(request)}.");
        }
    }

    private static bool SameDecision(Decision a, Decision b)
    {
        // Accepted one way, accepted every way, as the same request; refused one way, refused every way
        // (400 or 431 may differ: a bare LF seen early is refused before the head grows past the limit).
        if (a.Status == HttpParseStatus.Complete || b.Status == HttpParseStatus.Complete)
        {
            return a.Status == b.Status && a.Consumed == b.Consumed && Describe(a.Request!) == Describe(b.Request!);
        }

        return (a.Status == HttpParseStatus.Incomplete) == (b.Status == HttpParseStatus.Incomplete);
    }

    private static byte[] Write(HttpRequest request)
    {
        var text = new StringBuilder().Append(request.Method).Append(' ').Append(request.Target).Append(' ').Append(request.Version).Append("\r\n");
        foreach (var (name, value) in request.Headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(text.Append("\r\n").ToString());
    }

    private static string Describe(HttpRequest request) =>
        $"{request.Method} {request.Target} {request.Version} [{string.Join(" | ", request.Headers.Select(h => h.Key + ": " + h.Value))}]";

    private static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c));

    /// <summary>Up to eight cut points taken from the input's last bytes (its first are a method and a path), so AFL can steer them.</summary>
    private static List<int> CutPoints(byte[] input)
    {
        var cuts = new SortedSet<int>();
        for (var i = 0; i < Math.Min(8, input.Length); i++)
        {
            cuts.Add(((input[^(i + 1)] * 31) + i) % (input.Length + 1));
        }

        cuts.Add(input.Length);
        return [.. cuts];
    }

    /// <summary>
    /// The bytes read so far (up to the last of <paramref name="reads"/>) as a pipe hands them over: the
    /// last two reads in segments of their own after one segment of everything before them.
    /// </summary>
    private static ReadOnlySequence<byte> Sequence(byte[] input, List<int> reads)
    {
        var bounds = reads.Count <= 4 ? reads : [0, reads[^3], reads[^2], reads[^1]];
        var first = new Chunk(input.AsMemory(0, bounds[1]), 0);
        var last = first;
        for (var i = 2; i < bounds.Count; i++)
        {
            last = last.Append(input.AsMemory(bounds[i - 1], bounds[i] - bounds[i - 1]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
