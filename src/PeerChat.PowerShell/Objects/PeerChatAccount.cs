namespace PeerChat.PowerShell.Objects;

/// <summary>An account that Register-PeerChatUser created.</summary>
public sealed class PeerChatAccount
{
    internal PeerChatAccount(string userName, string computerName, int port)
    {
        UserName = userName;
        ComputerName = computerName;
        Port = port;
    }

    public string UserName { get; }

    public string ComputerName { get; }

    public int Port { get; }
}
