using System.Text;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Irc;

/// <summary>Names the gateway shows and the way PeerChat text becomes IRC lines.</summary>
internal static class IrcText
{
    /// <summary>The gateway's name as the source of its own lines (a name with a dot, so clients take it for a server).</summary>
    public const string ServerName = "irc.peerchat";

    /// <summary>The host part of every user's mask: PeerChat users have no IRC host; their address is not shown.</summary>
    public const string UserHost = "peerchat";

    /// <summary>The broadcast conversation as a channel: everyone online is in it.</summary>
    public const string Everyone = "#everyone";

    /// <summary>The bytes a line may take before its CRLF.</summary>
    public const int LineBytes = IrcLine.MaxBodyBytes - 2;

    /// <summary>The bytes a peerchat/1 message's data marks an IRC NOTICE with.</summary>
    public const string NoticeData = """{"irc":"notice"}""";

    public static string Mask(string nick) => $"{nick}!{nick}@{UserHost}";

    public static bool IsEveryone(string target) => string.Equals(target, Everyone, StringComparison.OrdinalIgnoreCase);

    /// <summary>Text made safe for one line's last parameter: line breaks and NULs become spaces.</summary>
    public static string OneLine(string text) =>
        text.AsSpan().IndexOfAny('\r', '\n', '\0') < 0 ? text : text.Replace('\r', ' ').Replace('\n', ' ').Replace('\0', ' ');

    /// <summary>The channel (or, for a direct message, the recipient) a message is addressed to on IRC.</summary>
    public static string Target(ChatMessage message, string? roomName) => message.Conversation.Kind switch
    {
        ConversationKind.Everyone => Everyone,
        ConversationKind.Room => "#" + (roomName ?? message.Conversation.Room),
        _ => message.To!,
    };

    /// <summary>
    /// A PeerChat message as IRC lines (CRLF after each): one line per line of its text, each cut
    /// to fit 512 bytes with its prefix. <paramref name="tags"/> (with their <c>@</c> and trailing
    /// space) go before each line; they do not count in the 512.
    /// </summary>
    public static byte[] MessageLines(ChatMessage message, string? roomName, string tags = "")
    {
        var command = message.Data == NoticeData ? "NOTICE" : "PRIVMSG";
        var prefix = $":{Mask(message.From)} {command} {Target(message, roomName)} :";
        var budget = LineBytes - Encoding.UTF8.GetByteCount(prefix);
        if (FitsOneLine(message.Text, budget))
        {
            // The usual case, built in one piece: this runs once per live message and variant,
            // which weighs most where a message has few receivers.
            return Encoding.UTF8.GetBytes(string.Concat(tags, prefix, message.Text, "\r\n"));
        }

        var lines = new StringBuilder(tags.Length + prefix.Length + message.Text.Length + 16);
        foreach (var piece in Pieces(message.Text, budget))
        {
            lines.Append(tags).Append(prefix).Append(piece).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(lines.ToString());
    }

    /// <summary>
    /// The text cut into pieces of at most <paramref name="budget"/> UTF-8 bytes: at each line
    /// break, and within a line before the piece would pass the budget (never inside a character).
    /// CR and NUL are dropped; an empty text is one empty piece.
    /// </summary>
    public static List<string> Pieces(string text, int budget)
    {
        if (FitsOneLine(text, budget))
        {
            return [text];
        }

        var pieces = new List<string>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Replace("\r", "", StringComparison.Ordinal).Replace("\0", "", StringComparison.Ordinal);
            if (line.Length == 0)
            {
                continue;
            }

            var piece = new StringBuilder();
            var pieceBytes = 0;
            foreach (var rune in line.EnumerateRunes())
            {
                var size = rune.Utf8SequenceLength;
                if (pieceBytes + size > budget && piece.Length > 0)
                {
                    pieces.Add(piece.ToString());
                    piece.Clear();
                    pieceBytes = 0;
                }

                piece.Append(rune.ToString());
                pieceBytes += size;
            }

            pieces.Add(piece.ToString());
        }

        if (pieces.Count == 0)
        {
            pieces.Add("");
        }

        return pieces;
    }

    /// <summary>A text that is one piece as it stands (<see cref="Pieces"/> would not cut or change it): one line, no CR or NUL, within the budget.</summary>
    private static bool FitsOneLine(string text, int budget) =>
        text.Length > 0 && text.AsSpan().IndexOfAny('\n', '\r', '\0') < 0 && Encoding.UTF8.GetByteCount(text) <= budget;
}
