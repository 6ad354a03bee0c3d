namespace PeerChat.PowerShell.Objects;

public enum PeerChatImportStatus
{
    Imported,

    /// <summary>-WhatIf: it would have been imported.</summary>
    WouldImport,

    Skipped,
}

/// <summary>What Import-PeerChatUser did with one line of the original users.csv; never the password.</summary>
public sealed class PeerChatImportResult
{
    internal PeerChatImportResult(int lineNumber, string? userName, PeerChatImportStatus status, string? reason)
    {
        LineNumber = lineNumber;
        UserName = userName;
        Status = status;
        Reason = reason;
    }

    public int LineNumber { get; }

    public string? UserName { get; }

    public PeerChatImportStatus Status { get; }

    /// <summary>Why a line was skipped.</summary>
    public string? Reason { get; }
}
