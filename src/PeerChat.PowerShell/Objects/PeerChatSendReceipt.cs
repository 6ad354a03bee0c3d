using PeerChat.Core.Client;

namespace PeerChat.PowerShell.Objects;

/// <summary>What <c>-PassThru</c> returns: the server took a broadcast, a room message or a direct message (or queued it for an offline user).</summary>
public sealed class PeerChatSendReceipt
{
    internal PeerChatSendReceipt(SendReceipt receipt, PeerChatMessageKind kind, string? to, string? room = null)
    {
        MessageId = receipt.MessageId;
        Kind = kind;
        To = to;
        Room = room;
        Queued = receipt.Queued;
        Recipients = receipt.Recipients;
        Route = receipt.Route;
        SentAt = receipt.SentAt.LocalDateTime;
        RoundTrip = receipt.RoundTrip;
    }

    public string MessageId { get; }

    public PeerChatMessageKind Kind { get; }

    /// <summary>The recipient of a direct message; null for a broadcast.</summary>
    public string? To { get; }

    /// <summary>The room of a room broadcast; null otherwise.</summary>
    public string? Room { get; }

    /// <summary>The recipient was offline: the server stored the message and delivers it at their next login.</summary>
    public bool Queued { get; }

    public int Recipients { get; }

    public MessageRoute Route { get; }

    public DateTime SentAt { get; }

    public TimeSpan RoundTrip { get; }
}
