using System.Buffers;
using System.Text.Json;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Client;

/// <summary>
/// Reads what a server (or a peer) sends. A frame that is not what the protocol says becomes a
/// <see cref="ChatClientException"/> with <c>protocol_violation</c>, never another exception, so a
/// malformed or hostile frame cannot crash a session in an unexpected way.
/// </summary>
internal static class ServerFrames
{
    public static JsonElement Parse(in ReadOnlySequence<byte> line) => JsonFrame.TryParse(line, out var frame) switch
    {
        FrameFault.None => frame,
        FrameFault.NotUtf8 => throw Violation("The server sent a line that is not valid UTF-8."),
        FrameFault.NotJson or FrameFault.MoreThanOneValue => throw Violation("The server sent a line that is not JSON."),
        FrameFault.LoneSurrogate => throw Violation("The server sent a frame with a string that escapes a lone surrogate (such as \\ud800)."),
        _ => throw Violation("The server sent a frame without a string 'type'."),
    };

    public static string Type(JsonElement frame) => frame.GetProperty("type").GetString()!;

    public static ServerHello Hello(JsonElement frame)
    {
        if (Type(frame) == "error")
        {
            throw Error(frame);
        }

        if (Type(frame) != "hello" || OptionalString(frame, "protocol") != "peerchat/1")
        {
            throw Violation("The server does not speak peerchat/1.");
        }

        var maxLimit = frame.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Object ? OptionalInt(history, "maxLimit") : null;
        return new ServerHello("peerchat/1", OptionalString(frame, "server") ?? string.Empty, StringList(frame, "auth"), OptionalInt(frame, "maxFrameBytes") ?? 65536, StringList(frame, "extensions"))
        {
            HistoryMaxLimit = maxLimit is > 0 ? maxLimit.Value : 200,
        };
    }

    private static List<string> StringList(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!).ToList()
            : [];

    public static Welcome Welcome(JsonElement frame) => new(
        RequiredString(frame, "clientId"),
        RequiredString(frame, "user"),
        RequiredString(frame, "address"),
        TimeSpan.FromSeconds(OptionalInt(frame, "idleTimeoutSeconds") ?? 0),
        OptionalInt(frame, "minMessages") ?? 0)
    {
        Queued = Math.Max(0, OptionalInt(frame, "queued") ?? 0),
    };

    public static IReadOnlyList<ClientInfo> Clients(JsonElement frame)
    {
        if (!frame.TryGetProperty("clients", out var clients) || clients.ValueKind != JsonValueKind.Array)
        {
            throw Violation("The server's 'clients' frame has no 'clients' array.");
        }

        return clients.EnumerateArray().Select(c => c.ValueKind != JsonValueKind.Object ? throw Violation("A client in 'clients' is not an object.") : new ClientInfo(
            RequiredString(c, "clientId"),
            RequiredString(c, "user"),
            RequiredString(c, "address"),
            OptionalString(c, "peer"),
            OptionalTime(c, "connectedAt") ?? DateTimeOffset.MinValue,
            OptionalTime(c, "lastActiveAt") ?? DateTimeOffset.MinValue,
            OptionalInt(c, "messages") ?? 0,
            OptionalString(c, "via"),
            OptionalString(c, "node"))).ToList();
    }

    public static SendReceipt Sent(JsonElement frame, MessageRoute route, TimeSpan roundTrip) =>
        new(RequiredString(frame, "messageId"), OptionalInt(frame, "recipients") ?? 0, DateTimeOffset.UtcNow, route, roundTrip)
        {
            Queued = OptionalInt(frame, "queued") is > 0,
        };

    public static RoomJoined Joined(JsonElement frame) => new(
        RequiredString(frame, "room"),
        frame.TryGetProperty("created", out var created) && created.ValueKind == JsonValueKind.True,
        StringList(frame, "members"));

    public static IReadOnlyList<RoomInfo> Rooms(JsonElement frame) =>
        Array(frame, "rooms").Select(r => new RoomInfo(
            RequiredString(r, "room"),
            Count(r, "members"),
            Count(r, "online"),
            r.TryGetProperty("joined", out var joined) && joined.ValueKind == JsonValueKind.True,
            OptionalLong(r, "unread") ?? 0,
            OptionalString(r, "lastMessageId"),
            OptionalTime(r, "lastMessageAt"))).ToList();

    /// <summary>A <c>history</c> reply. Its messages were received when they were sent: ReceivedAt is their SentAt.</summary>
    public static ChatHistoryPage History(JsonElement frame)
    {
        var messages = Array(frame, "messages").Select(m =>
        {
            var message = Message(m, DateTimeOffset.UtcNow);
            return message with { ReceivedAt = message.SentAt };
        }).ToList();
        return new ChatHistoryPage(messages, frame.TryGetProperty("complete", out var complete) && complete.ValueKind == JsonValueKind.True);
    }

    public static IReadOnlyList<ConversationInfo> Conversations(JsonElement frame) =>
        Array(frame, "conversations").Select(c => new ConversationInfo(
            new ConversationRef(OptionalString(c, "room"), OptionalString(c, "with")),
            OptionalLong(c, "unread") ?? 0,
            OptionalString(c, "readUpTo"),
            OptionalString(c, "lastMessageId"),
            OptionalTime(c, "lastMessageAt"))).ToList();

    public static PeerGrant Peer(JsonElement frame) => new(
        RequiredString(frame, "to"),
        RequiredString(frame, "clientId"),
        RequiredString(frame, "endpoint"),
        OptionalString(frame, "fingerprint"),
        RequiredString(frame, "token"));

    /// <summary><c>peer_expect</c>; null when it lacks a field (it is then ignored, as an unusable announcement).</summary>
    public static (string Token, string From, DateTimeOffset ExpiresAt)? PeerExpect(JsonElement frame) =>
        OptionalString(frame, "token") is { } token && OptionalString(frame, "from") is { } from && OptionalTime(frame, "expiresAt") is { } expiresAt
            ? (token, from, expiresAt)
            : null;

    public static ChatMessage Message(JsonElement frame, DateTimeOffset receivedAt) => MessageWith(
        frame,
        receivedAt,
        OptionalString(frame, "kind") switch { "direct" => MessageKind.Direct, "room" => MessageKind.Room, _ => MessageKind.Broadcast },
        OptionalString(frame, "route") == "direct" ? MessageRoute.Direct : MessageRoute.Relay,
        OptionalString(frame, "messageId") ?? string.Empty,
        OptionalString(frame, "from") ?? string.Empty,
        OptionalString(frame, "fromClientId"),
        OptionalString(frame, "to"));

    /// <summary>
    /// A <c>message</c> from a peer's direct link: who sent it to whom is what the link knows (the
    /// token's user, this session), not what the frame claims, so those fields are not read.
    /// </summary>
    public static ChatMessage PeerMessage(JsonElement frame, string messageId, string from, string to, DateTimeOffset receivedAt) =>
        MessageWith(frame, receivedAt, MessageKind.Direct, MessageRoute.Direct, messageId, from, fromClientId: null, to);

    // The frame's content (text, data, time, room, offline) under the given kind, route and parties.
    private static ChatMessage MessageWith(JsonElement frame, DateTimeOffset receivedAt, MessageKind kind, MessageRoute route, string messageId, string from, string? fromClientId, string? to) => new(
        receivedAt,
        kind,
        route,
        messageId,
        from,
        fromClientId,
        to,
        OptionalString(frame, "text") ?? string.Empty,
        // A copy of data alone: the element would otherwise keep the whole frame (text and all) alive
        // for as long as the message waits in an inbox, twice what the inbox counts for it.
        frame.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object ? data.Clone() : null,
        OptionalTime(frame, "sentAt") ?? receivedAt)
    {
        Room = OptionalString(frame, "room"),
        Offline = frame.TryGetProperty("offline", out var offline) && offline.ValueKind == JsonValueKind.True,
    };

    public static ChatNotice Notice(JsonElement frame, DateTimeOffset receivedAt)
    {
        var code = OptionalString(frame, "code") ?? "notice";
        if (code == NoticeCodes.BroadcastsDropped)
        {
            // The one notice that leaves the connection open: it only counts what was lost.
            var dropped = frame.TryGetProperty("dropped", out var count) && count.ValueKind == JsonValueKind.Number && count.TryGetInt64(out var n) && n >= 0 ? n : 0;
            return new ChatNotice(receivedAt, code, OptionalString(frame, "message") ?? $"{dropped} broadcasts were dropped.", ClosesConnection: false) { Dropped = dropped };
        }

        if (code == NoticeCodes.OfflineMore)
        {
            return new ChatNotice(receivedAt, code, OptionalString(frame, "message") ?? "More queued messages follow.", ClosesConnection: false);
        }

        if (code == NoticeCodes.OfflineDropped)
        {
            // Also left open: messages queued while offline were lost to the queue's limit.
            var lost = OptionalLong(frame, "count") is { } n and >= 0 ? n : 0;
            return new ChatNotice(receivedAt, code, OptionalString(frame, "message") ?? $"{lost} message(s) queued while you were offline were dropped: the server keeps only the newest.", ClosesConnection: false) { Dropped = lost };
        }

        return new ChatNotice(receivedAt, code, OptionalString(frame, "message") ?? code, ClosesConnection: true);
    }

    public static ChatPresence Presence(JsonElement frame, DateTimeOffset receivedAt) => new(
        receivedAt,
        OptionalString(frame, "event") == "joined",
        OptionalString(frame, "user") ?? string.Empty,
        OptionalString(frame, "clientId") ?? string.Empty,
        OptionalTime(frame, "at") ?? receivedAt);

    public static ChatClientException Error(JsonElement frame)
    {
        var code = OptionalString(frame, "code") ?? "error";
        var message = OptionalString(frame, "message") ?? code;
        TimeSpan? retry = frame.TryGetProperty("retryAfterMs", out var r) && r.ValueKind == JsonValueKind.Number && r.TryGetInt64(out var ms) && ms >= 0
            ? TimeSpan.FromMilliseconds(Math.Min(ms, (long)TimeSpan.FromDays(1).TotalMilliseconds))
            : null;
        return new ChatClientException(code, message, retry);
    }

    public static string? OptionalString(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string RequiredString(JsonElement frame, string name) =>
        OptionalString(frame, name) ?? throw Violation($"The server's '{OptionalString(frame, "type") ?? "?"}' frame has no string '{name}'.");

    private static IEnumerable<JsonElement> Array(JsonElement frame, string name)
    {
        if (!frame.TryGetProperty(name, out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw Violation($"The server's '{OptionalString(frame, "type") ?? "?"}' frame has no '{name}' array.");
        }

        return list.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object ? e : throw Violation($"An entry of '{name}' is not an object.")).ToList();
    }

    /// <summary>A count given as a number, or as the list of what is counted.</summary>
    private static int Count(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : Math.Max(0, OptionalInt(frame, name) ?? 0);

    private static long? OptionalLong(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static int? OptionalInt(JsonElement frame, string name) =>
        frame.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;

    private static DateTimeOffset? OptionalTime(JsonElement frame, string name) =>
        WireTime.TryParse(OptionalString(frame, name), out var time) ? time : null;

    private static ChatClientException Violation(string message, Exception? inner = null) =>
        new(ErrorCodes.ProtocolViolation, message, innerException: inner);
}
