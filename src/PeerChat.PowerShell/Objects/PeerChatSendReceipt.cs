using PeerChat.Core.Client;

namespace PeerChat.PowerShell;

/// <summary>What <c>-PassThru</c> returns: the server took a broadcast or a message.</summary>
public sealed class PeerChatSendReceipt
{
    internal PeerChatSendReceipt(SendReceipt receipt, PeerChatMessageKind kind, string? to)
    {
        MessageId = receipt.MessageId;
        Kind = kind;
        To = to;
        Recipients = receipt.Recipients;
        Route = receipt.Route;
        SentAt = receipt.SentAt.LocalDateTime;
        RoundTrip = receipt.RoundTrip;
    }

    public string MessageId { get; }

    public PeerChatMessageKind Kind { get; }

    /// <summary>The recipient of a direct message; null for a broadcast.</summary>
    public string? To { get; }

    public int Recipients { get; }

    public MessageRoute Route { get; }

    public DateTime SentAt { get; }

    public TimeSpan RoundTrip { get; }
}
