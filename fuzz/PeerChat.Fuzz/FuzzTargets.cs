using System.Buffers;
using System.Text;
using System.Text.Json;
using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;

namespace PeerChat.Fuzz;

/// <summary>
/// What the fuzzer and the regression tests of its findings run: each target takes arbitrary bytes
/// and throws only when PeerChat misbehaves. The core's test project references this assembly, so
/// the regression tests run exactly what the fuzzer ran, and none of it ships in PeerChat.Core.dll.
/// </summary>
public static class FuzzTargets
{
    /// <summary>
    /// The server's receive path: the bytes arrive cut at split points chosen by the input itself,
    /// lines are split, the frame limit enforced, and each line parsed. The same frames must come
    /// out however the bytes were cut.
    /// </summary>
    public static void Frames(byte[] input)
    {
        var whole = SplitAndParse(input, [input.Length]);
        var cuts = CutPoints(input);
        var pieces = SplitAndParse(input, cuts);
        if (!whole.SequenceEqual(pieces))
        {
            throw new InvalidOperationException($"The frames depend on how the bytes were cut: {string.Join("|", whole)} vs {string.Join("|", pieces)}");
        }
    }

    /// <summary>The user store loader: any bytes load, and writing them back gives the same lines.</summary>
    public static void UserStore(byte[] input)
    {
        var content = UserStoreContent.Parse("fuzz.csv", input, new UTF8Encoding(false, true));
        var written = content.Serialize();
        var expected = input.Length == 0 || input[^1] == (byte)'\n' ? input : [.. input, (byte)'\n'];
        if (!written.AsSpan().SequenceEqual(expected))
        {
            throw new InvalidOperationException("Writing the store back changed its lines.");
        }

        foreach (var account in content.Accounts.Values)
        {
            if (!PasswordRules.IsValidUserName(account.UserName) || !PasswordHasher.IsWellFormed(account.HashRecord))
            {
                throw new InvalidOperationException($"Loaded an account that breaks the rules: {account.UserName}");
            }
        }
    }

    /// <summary>The client's handling of what a server (or a peer) sends: any line is read or refused, never a crash.</summary>
    public static void ClientFrames(byte[] input)
    {
        var buffer = new ReadOnlySequence<byte>(input);
        while (LineFramer.TryReadLine(ref buffer, out var line))
        {
            ReadAsAnAck(line.ToArray());
            try
            {
                Interpret(ServerFrames.Parse(line));
            }
            catch (ChatClientException)
            {
                // A frame the client refuses, with a protocol error: as designed.
            }
        }
    }

    /// <summary>
    /// A direct link's sender reads its acks without a document (PeerFrames.ReadAck): it must judge
    /// every line as the parse does, find the id the parsed ack has, and never throw.
    /// </summary>
    private static void ReadAsAnAck(byte[] line)
    {
        var expected = JsonFrame.TryParse(line, out var frame);
        var id = new char[128];
        var fault = PeerFrames.ReadAck(line, id, out var length);
        if (fault != expected)
        {
            throw new InvalidOperationException($"ReadAck judged a line {fault}, the parse {expected}.");
        }

        var parsedId = expected == FrameFault.None && frame.GetProperty("type").ValueEquals("ack"u8)
            && frame.TryGetProperty("messageId", out var messageId) && messageId.ValueKind == JsonValueKind.String
            ? messageId.GetString()
            : null;
        var found = length >= 0 ? new string(id, 0, length) : null;

        // An id longer than the buffer in UTF-8 is no id a sender made, and may be left unfound.
        if (found != parsedId && (found is not null || Encoding.UTF8.GetByteCount(parsedId!) <= id.Length))
        {
            throw new InvalidOperationException($"ReadAck found the id '{found}', the parse '{parsedId}'.");
        }
    }

    /// <summary>Reads a frame with the reader the client uses for its type, whichever path (session, direct link) that is.</summary>
    private static object? Interpret(JsonElement frame) => ServerFrames.Type(frame) switch
    {
        "hello" => ServerFrames.Hello(frame),
        "welcome" => ServerFrames.Welcome(frame),
        "clients" => ServerFrames.Clients(frame),
        "sent" => ServerFrames.Sent(frame, MessageRoute.Relay, TimeSpan.Zero),
        "peer" => ServerFrames.Peer(frame),
        "peer_expect" => ServerFrames.PeerExpect(frame),
        "message" => ServerFrames.Message(frame, DateTimeOffset.UnixEpoch),
        "notice" => ServerFrames.Notice(frame, DateTimeOffset.UnixEpoch),
        "presence" => ServerFrames.Presence(frame, DateTimeOffset.UnixEpoch),
        "error" => ServerFrames.Error(frame),
        _ => null,
    };

    private static List<string> SplitAndParse(byte[] input, IReadOnlyList<int> cuts)
    {
        const int limit = 4096;
        var results = new List<string>();
        var pending = new List<byte>();
        var start = 0;
        foreach (var cut in cuts)
        {
            pending.AddRange(input.AsSpan(start, cut - start).ToArray());
            start = cut;
            var buffer = Segments.Build(pending.ToArray(), seed: cut);
            while (LineFramer.TryReadLine(ref buffer, out var line))
            {
                // The server closes at the first line over the limit, so nothing after it matters.
                if (line.Length > limit)
                {
                    results.Add("too large");
                    return results;
                }

                results.Add(RequestFrame.TryParse(line, out var frame, out var error) ? "frame " + Echo(frame!) : "bad " + error);
            }

            pending = [.. buffer.ToArray()];
            if (pending.Count > limit)
            {
                results.Add("too large");
                return results;
            }
        }

        return results;
    }

    /// <summary>
    /// Writes every field of an accepted frame back out, as the server's answers (<c>re</c>) and
    /// relays (<c>data</c>, <c>text</c>) do: whatever parsing accepts must be writable, or one
    /// hostile frame becomes a server error (found with lone surrogate escapes, fuzz/regressions/frames).
    /// </summary>
    private static string Echo(RequestFrame frame)
    {
        FrameWriter.Build("echo", frame, static (w, f) =>
        {
            FrameWriter.WriteRe(w, f.Id);
            foreach (var (name, value) in new[] { ("was", f.Type), ("user", f.User), ("password", f.Password), ("text", f.Text), ("to", f.To), ("directId", f.DirectId), ("fingerprint", f.PeerFingerprint) })
            {
                if (value is not null)
                {
                    w.WriteString(name, value);
                }
            }

            if (f.Data is { } data)
            {
                w.WritePropertyName("data");
                data.WriteTo(w);
            }
        });
        return frame.Type;
    }

    /// <summary>Up to eight cut points taken from the input's first bytes, so AFL can steer them.</summary>
    private static List<int> CutPoints(byte[] input)
    {
        var cuts = new SortedSet<int>();
        for (var i = 0; i < Math.Min(8, input.Length); i++)
        {
            cuts.Add((input[i] * 31 + i) % (input.Length + 1));
        }

        cuts.Add(input.Length);
        return [.. cuts];
    }

    /// <summary>A multi-segment sequence of the bytes, as a pipe hands them over after several reads.</summary>
    private static class Segments
    {
        public static ReadOnlySequence<byte> Build(byte[] bytes, int seed)
        {
            if (bytes.Length < 2)
            {
                return new ReadOnlySequence<byte>(bytes);
            }

            var middle = 1 + (Math.Abs(seed) % (bytes.Length - 1));
            var first = new Segment(bytes.AsMemory(0, middle), 0);
            var last = first.Append(bytes.AsMemory(middle));
            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }

        private sealed class Segment : ReadOnlySequenceSegment<byte>
        {
            public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
            {
                Memory = memory;
                RunningIndex = runningIndex;
            }

            public Segment Append(ReadOnlyMemory<byte> memory)
            {
                var next = new Segment(memory, RunningIndex + Memory.Length);
                Next = next;
                return next;
            }
        }
    }
}
