namespace PeerChat.Core.Protocol;

/// <summary>
/// The frames of a direct connection between two clients (docs/PROTOCOL.md, "Direct connections"),
/// besides the <c>message</c> frame, which <see cref="ChatFrames.DirectMessage"/> writes.
/// </summary>
public static class PeerFrames
{
    /// <summary>The sender's first frame: who it is and the token the server gave for this peer.</summary>
    public static byte[] Hello(string from, string token) =>
        FrameWriter.Build("peer_hello", (from, token), static (w, s) =>
        {
            w.WriteString("from", s.from);
            w.WriteString("token", s.token);
        });

    public static byte[] Welcome() => FrameWriter.Build("peer_welcome");

    /// <summary>The receiver took the message <paramref name="messageId"/>.</summary>
    public static byte[] Ack(string messageId) =>
        FrameWriter.Build("ack", messageId, static (w, id) => w.WriteString("messageId", id));
}
