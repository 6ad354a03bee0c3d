namespace PeerChat.PowerShell.Objects;

/// <summary>What Copy-PeerChatStore moved from a single server into a cluster.</summary>
public sealed class PeerChatStoreCopyResult
{
    internal PeerChatStoreCopyResult(string cluster, int accounts, IReadOnlyList<string> accountsSkipped, Core.Chat.MessageStoreCopyResult? messages)
    {
        Cluster = cluster;
        Accounts = accounts;
        AccountsSkipped = accountsSkipped;
        Rooms = messages?.Rooms ?? 0;
        Memberships = messages?.Memberships ?? 0;
        Conversations = messages?.Conversations ?? 0;
        Messages = messages?.Messages ?? 0;
        AlreadyCopied = messages?.AlreadyCopied ?? 0;
        Queued = messages?.Queued ?? 0;
        ReadMarkers = messages?.ReadMarkers ?? 0;
    }

    /// <summary>The cluster's Redis endpoints (never its password).</summary>
    public string Cluster { get; }

    /// <summary>Accounts copied.</summary>
    public int Accounts { get; }

    /// <summary>Names that had an account in the cluster already: theirs was kept, the server's not copied.</summary>
    public IReadOnlyList<string> AccountsSkipped { get; }

    public int Rooms { get; }

    /// <summary>Room members copied.</summary>
    public int Memberships { get; }

    public int Conversations { get; }

    /// <summary>Messages copied, with their ids and times.</summary>
    public long Messages { get; }

    /// <summary>Messages the cluster held already (a copy run again): left as they were.</summary>
    public long AlreadyCopied { get; }

    /// <summary>Of the messages copied, those in an offline queue, queued again in the cluster.</summary>
    public long Queued { get; }

    public int ReadMarkers { get; }
}
