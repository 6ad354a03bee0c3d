using System.Text.Json;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Protocol;

/// <summary>
/// The peerchat/1 frames of the chat (docs/PROTOCOL.md): how the core's messages, rooms and
/// conversations are written on the wire. One writer per frame kind, so that a message reads the
/// same whether it comes live, from history or from an offline queue.
/// </summary>
public static class ChatFrames
{
    /// <summary>A <c>message</c> frame as the server relays it.</summary>
    public static byte[] Message(ChatMessage message, string? roomName, bool offline) =>
        FrameWriter.Build("message", (message, roomName, offline), static (w, s) => WriteMessageFields(w, s.message, s.roomName, s.offline));

    /// <summary>
    /// A <c>message</c> frame a client sends its peer over a direct connection: the same fields as a
    /// relayed one, route <c>direct</c>, and none the server adds (<c>fromClientId</c>, <c>directId</c>)
    /// since no server saw it, so the caller leaves those null in <paramref name="message"/>.
    /// </summary>
    public static byte[] DirectMessage(ChatMessage message) =>
        FrameWriter.Build("message", message, static (w, m) => WriteMessageFields(w, m, roomName: null, offline: false, route: "direct"));

    /// <summary>
    /// The fields of a <c>message</c> (after <c>type</c>): kind, route (<c>relay</c> for whatever the
    /// server holds, since it passed through it), who sent it to where, and when it was sent.
    /// </summary>
    public static void WriteMessageFields(Utf8JsonWriter w, ChatMessage message, string? roomName, bool offline, string route = "relay")
    {
        var conversation = message.Conversation;
        w.WriteString("kind", conversation.Kind switch
        {
            ConversationKind.Room => "room",
            ConversationKind.Direct => "direct",
            _ => "broadcast",
        });
        w.WriteString("route", route);
        w.WriteString("messageId", message.MessageId);
        w.WriteString("from", message.From);
        if (message.FromClientId is { } clientId)
        {
            w.WriteString("fromClientId", clientId);
        }

        if (message.To is { } to)
        {
            w.WriteString("to", to);
        }

        if (conversation.Kind == ConversationKind.Room)
        {
            w.WriteString("room", roomName ?? conversation.Room);
        }

        w.WriteString("text", message.Text);
        if (message.Data is { } data)
        {
            w.WritePropertyName("data");
            w.WriteRawValue(data);
        }

        if (message.DirectId is { } directId)
        {
            // Passed on as given: the receiver keeps one copy of a message that may also have come directly.
            w.WriteString("directId", directId);
        }

        WireTime.WriteProperty(w, "sentAt", message.SentAt);
        if (offline)
        {
            w.WriteBoolean("offline", true);
        }
    }

    /// <summary>The <c>sent</c> receipt; <c>queued</c> only when the message waits in an offline queue.</summary>
    public static byte[] Sent(RequestFrame request, string messageId, int recipients, bool queued) =>
        FrameWriter.Build("sent", (request, messageId, recipients, queued), static (w, s) =>
        {
            s.request.WriteRe(w);
            w.WriteString("messageId", s.messageId);
            w.WriteNumber("recipients", s.recipients);
            if (s.queued)
            {
                w.WriteNumber("queued", 1);
            }
        });

    /// <summary>
    /// <c>store_unavailable</c> for a message the store could not keep: with <paramref name="messageId"/>
    /// when it was delivered live anyway (to <paramref name="recipients"/>), without when it was not accepted.
    /// </summary>
    public static byte[] StoreUnavailable(JsonElement? re, string? messageId, int recipients) =>
        FrameWriter.Build("error", (re, messageId, recipients), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            w.WriteString("code", ErrorCodes.StoreUnavailable);
            if (s.messageId is null)
            {
                w.WriteString("message", "The message store cannot write now, so the message for a user who is offline was not accepted; try again later.");
                return;
            }

            w.WriteString("message", $"The message store cannot write now: the message reached {s.recipients} online recipient(s) but was not stored.");
            w.WriteString("messageId", s.messageId);
            w.WriteNumber("recipients", s.recipients);
        });

    public static byte[] Presence(PresenceChange change) =>
        FrameWriter.Build("presence", change, static (w, c) =>
        {
            w.WriteString("event", c.Joined ? "joined" : "left");
            w.WriteString("user", c.UserName);
            w.WriteString("clientId", c.SessionId);
            WireTime.WriteProperty(w, "at", c.At);
        });

    public static byte[] RoomEvent(RoomChange change) =>
        FrameWriter.Build("room_event", change, static (w, c) =>
        {
            w.WriteString("event", c.Joined ? "joined" : "left");
            w.WriteString("room", c.RoomName);
            w.WriteString("user", c.UserName);
            WireTime.WriteProperty(w, "at", c.At);
        });

    public static byte[] Joined(JsonElement? re, JoinResult join) =>
        FrameWriter.Build("joined", (re, join), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            w.WriteString("room", s.join.Room);
            w.WriteBoolean("created", s.join.Created);
            w.WriteStartArray("members");
            foreach (var member in s.join.Members)
            {
                w.WriteStringValue(member);
            }

            w.WriteEndArray();
        });

    public static byte[] Rooms(JsonElement? re, IReadOnlyList<RoomInfo> rooms) =>
        FrameWriter.Build("rooms", (re, rooms), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            w.WriteStartArray("rooms");
            foreach (var room in s.rooms)
            {
                w.WriteStartObject();
                w.WriteString("room", room.Room);
                w.WriteNumber("members", room.Members);
                w.WriteNumber("online", room.Online);
                w.WriteBoolean("joined", room.Joined);
                w.WriteNumber("unread", room.Unread);
                WriteLast(w, room.LastMessageId, room.LastMessageAt);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    /// <summary>A page of history: the conversation as asked (<c>room</c>, <c>with</c> or neither), its messages oldest first, and <c>complete</c>.</summary>
    public static byte[] History(JsonElement? re, string? room, string? with, HistoryPage page) =>
        FrameWriter.Build("history", (re, room, with, page), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            WriteConversation(w, s.room, s.with);
            w.WriteStartArray("messages");
            foreach (var message in s.page.Messages)
            {
                w.WriteStartObject();
                w.WriteString("type", "message");
                WriteMessageFields(w, message, s.room, offline: false);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteBoolean("complete", s.page.Complete);
        });

    public static byte[] Conversations(JsonElement? re, IReadOnlyList<ConversationInfo> conversations) =>
        FrameWriter.Build("conversations", (re, conversations), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            w.WriteStartArray("conversations");
            foreach (var conversation in s.conversations)
            {
                w.WriteStartObject();
                WriteConversation(w, conversation.Room, conversation.With);
                w.WriteNumber("unread", conversation.Unread);
                WriteOptional(w, "readUpTo", conversation.ReadUpTo);
                WriteLast(w, conversation.LastMessageId, conversation.LastMessageAt);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    /// <summary>Ahead of the offline messages at login: <paramref name="count"/> were dropped from the queue, oldest first, for its limit.</summary>
    public static byte[] OfflineDropped(long count) =>
        FrameWriter.Build("notice", count, static (w, c) =>
        {
            w.WriteString("code", NoticeCodes.OfflineDropped);
            w.WriteNumber("count", c);
            w.WriteString("message", $"{c} message{(c == 1 ? " was" : "s were")} dropped from your offline queue, the oldest first, because it was full.");
        });

    /// <summary>Ahead of a further batch of offline messages, sent once the client confirmed the last one before: <paramref name="count"/> follow.</summary>
    public static byte[] OfflineMore(int count) =>
        FrameWriter.Build("notice", count, static (w, c) =>
        {
            w.WriteString("code", NoticeCodes.OfflineMore);
            w.WriteNumber("queued", c);
            w.WriteString("message", $"{c} more queued message{(c == 1 ? "" : "s")} follow.");
        });

    // A room or another user names the conversation; neither is everyone.
    private static void WriteConversation(Utf8JsonWriter w, string? room, string? with)
    {
        if (room is not null)
        {
            w.WriteString("room", room);
        }
        else if (with is not null)
        {
            w.WriteString("with", with);
        }
    }

    private static void WriteLast(Utf8JsonWriter w, string? lastMessageId, DateTimeOffset? lastMessageAt)
    {
        if (lastMessageId is null)
        {
            w.WriteNull("lastMessageId");
            w.WriteNull("lastMessageAt");
            return;
        }

        w.WriteString("lastMessageId", lastMessageId);
        if (lastMessageAt is { } at)
        {
            WireTime.WriteProperty(w, "lastMessageAt", at);
        }
        else
        {
            w.WriteNull("lastMessageAt");
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
