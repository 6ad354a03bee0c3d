using System.Text.Json;

namespace PeerChat.Core.Protocol;

/// <summary>
/// The server's peerchat/1 frames around a session (docs/PROTOCOL.md): greeting, login, the client
/// list, plain answers and the brokering of direct connections. The chat's frames are in <see cref="ChatFrames"/>.
/// </summary>
public static class SessionFrames
{
    public const string ServerShutdownText = "The server is shutting down.";

    /// <summary>
    /// The greeting. <paramref name="withStore"/>: the server keeps messages, so it offers rooms,
    /// history and offline delivery, and tells the largest history page (<paramref name="historyPageMax"/>).
    /// </summary>
    public static byte[] Hello(string serverName, bool allowSignup, int maxFrameBytes, bool withStore, int historyPageMax) =>
        FrameWriter.Build("hello", (serverName, allowSignup, maxFrameBytes, withStore, historyPageMax), static (w, s) =>
        {
            w.WriteString("protocol", "peerchat/1");
            w.WriteString("server", s.serverName);
            w.WriteStartArray("auth");
            w.WriteStringValue("login");
            if (s.allowSignup)
            {
                w.WriteStringValue("signup");
            }

            w.WriteEndArray();
            w.WriteNumber("maxFrameBytes", s.maxFrameBytes);

            // Requests beyond the protocol's text that this server takes (docs/PROTOCOL.md), so a
            // client sends them only to a server that knows them.
            w.WriteStartArray("extensions");
            w.WriteStringValue("activity");
            if (s.withStore)
            {
                w.WriteStringValue("rooms");
                w.WriteStringValue("history");
                w.WriteStringValue("offline");
            }

            w.WriteEndArray();
            if (s.withStore)
            {
                w.WriteStartObject("history");
                w.WriteNumber("maxLimit", s.historyPageMax);
                w.WriteEndObject();
            }
        });

    /// <summary>The answer to a login; <paramref name="queued"/> only when the server keeps offline messages.</summary>
    public static byte[] Welcome(JsonElement? re, string clientId, string user, string address, long idleTimeoutSeconds, int minMessages, int? queued) =>
        FrameWriter.Build("welcome", (re, clientId, user, address, idleTimeoutSeconds, minMessages, queued), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            w.WriteString("clientId", s.clientId);
            w.WriteString("user", s.user);
            w.WriteString("address", s.address);
            w.WriteNumber("idleTimeoutSeconds", s.idleTimeoutSeconds);
            w.WriteNumber("minMessages", s.minMessages);
            if (s.queued is { } count)
            {
                w.WriteNumber("queued", count);
            }
        });

    public static byte[] Ok(JsonElement? re) => FrameWriter.Build("ok", re, static (w, id) => FrameWriter.WriteRe(w, id));

    public static byte[] Pong(JsonElement? re) => FrameWriter.Build("pong", re, static (w, id) => FrameWriter.WriteRe(w, id));

    public static byte[] ServerShutdown() => FrameWriter.Notice(NoticeCodes.ServerShutdown, ServerShutdownText);

    public static byte[] Clients(JsonElement? re, IReadOnlyList<ClientInfo> clients) =>
        FrameWriter.Build("clients", (re, clients), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            w.WriteStartArray("clients");
            foreach (var client in s.clients)
            {
                w.WriteStartObject();
                w.WriteString("clientId", client.ClientId);
                w.WriteString("user", client.UserName);
                w.WriteString("address", client.Address);
                if (client.PeerEndpoint is null)
                {
                    w.WriteNull("peer");
                }
                else
                {
                    w.WriteString("peer", client.PeerEndpoint);
                }

                w.WriteString("connectedAt", WireTime.Format(client.ConnectedAt));
                w.WriteString("lastActiveAt", WireTime.Format(client.LastActiveAt));
                w.WriteNumber("messages", client.Messages);
                if (client.Via is not null)
                {
                    w.WriteString("via", client.Via);
                }

                if (client.Node is not null)
                {
                    w.WriteString("node", client.Node);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    /// <summary>To the peer: expect <paramref name="from"/> with <paramref name="token"/> until <paramref name="expiresAt"/>.</summary>
    public static byte[] PeerExpect(string from, string fromClientId, string token, DateTimeOffset expiresAt) =>
        FrameWriter.Build("peer_expect", (from, fromClientId, token, expiresAt), static (w, s) =>
        {
            w.WriteString("from", s.from);
            w.WriteString("fromClientId", s.fromClientId);
            w.WriteString("token", s.token);
            w.WriteString("expiresAt", WireTime.Format(s.expiresAt));
        });

    /// <summary>To the sender: where the peer listens, its certificate fingerprint when it gave one, and the token.</summary>
    public static byte[] Peer(JsonElement? re, string to, string clientId, string endpoint, string? fingerprint, string token) =>
        FrameWriter.Build("peer", (re, to, clientId, endpoint, fingerprint, token), static (w, s) =>
        {
            FrameWriter.WriteRe(w, s.re);
            w.WriteString("to", s.to);
            w.WriteString("clientId", s.clientId);
            w.WriteString("endpoint", s.endpoint);
            if (s.fingerprint is { } value)
            {
                w.WriteString("fingerprint", value);
            }

            w.WriteString("token", s.token);
        });
}
