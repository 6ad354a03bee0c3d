using System.Collections;
using System.Diagnostics.CodeAnalysis;
using PeerChat.Core.Client;
using PeerChat.Core.Text;
using PeerChat.PowerShell.Internal;

namespace PeerChat.PowerShell.Objects;

public enum PeerChatMessageKind
{
    Broadcast,
    Direct,

    /// <summary>A broadcast to the members of a room (<see cref="PeerChatMessage.Room"/>).</summary>
    Room,

    /// <summary>A server notice (idle, replaced, shutdown, …) or an error that answered no request.</summary>
    Notice,
}

/// <summary>Something that arrived (or was read from history): a broadcast, a room message, a direct message or a notice.</summary>
public sealed class PeerChatMessage
{
    internal PeerChatMessage(ChatEvent chatEvent, PeerChatSession session)
    {
        Session = session;
        ReceivedAt = chatEvent.ReceivedAt.LocalDateTime;
        switch (chatEvent)
        {
            case ChatMessage message:
                MessageId = message.MessageId;
                Kind = message.Kind switch { MessageKind.Direct => PeerChatMessageKind.Direct, MessageKind.Room => PeerChatMessageKind.Room, _ => PeerChatMessageKind.Broadcast };
                Room = message.Room;
                Offline = message.Offline;
                Route = message.Route;
                From = message.From;
                To = message.To;
                Text = message.Text;
                Data = message.Data is { } data ? DataConverter.ToHashtable(data) : null;
                SentAt = message.SentAt.LocalDateTime;
                break;
            case ChatNotice notice:
                Kind = PeerChatMessageKind.Notice;
                Code = notice.Code;
                Text = notice.Message;
                SentAt = ReceivedAt;
                break;
        }
    }

    /// <summary>
    /// Converts one event; false (with the reason) when its content cannot be read as PowerShell
    /// values, such as a <c>data</c> string escaping a lone surrogate that slipped past the checks
    /// where frames enter.
    /// </summary>
    internal static bool TryCreate(ChatEvent chatEvent, PeerChatSession session, [NotNullWhen(true)] out PeerChatMessage? message, [NotNullWhen(false)] out Exception? failure)
    {
        try
        {
            message = new PeerChatMessage(chatEvent, session);
            failure = null;
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            message = null;
            failure = ex;
            return false;
        }
    }

    public string? MessageId { get; }

    public PeerChatMessageKind Kind { get; }

    /// <summary>How a message came: through the server (Relay) or straight from the peer (Direct); null for notices.</summary>
    public MessageRoute? Route { get; }

    public string? From { get; }

    public string? To { get; }

    /// <summary>The room of a room message; binds by property name to <c>-Room</c> of Send-PeerChatBroadcast and Get-PeerChatHistory.</summary>
    public string? Room { get; }

    /// <summary>Sent while this user was offline: the server kept it and delivered it at login (SentAt is when it was sent).</summary>
    public bool Offline { get; }

    public string Text { get; } = string.Empty;

    /// <summary>The structured <c>data</c> the sender attached, as a hashtable.</summary>
    public Hashtable? Data { get; }

    /// <summary>For notices: the protocol code, such as <c>idle_timeout</c>.</summary>
    public string? Code { get; }

    public DateTime SentAt { get; }

    public DateTime ReceivedAt { get; }

    public PeerChatSession Session { get; }

    /// <summary>For display: control characters in the text show as visible symbols (<see cref="Text"/> stays raw).</summary>
    public override string ToString() => DisplayText.Escape(Kind switch
    {
        PeerChatMessageKind.Notice => $"[{Code}] {Text}",
        PeerChatMessageKind.Room => $"#{Room} {From}: {Text}",
        _ => $"{From}: {Text}",
    });
}
