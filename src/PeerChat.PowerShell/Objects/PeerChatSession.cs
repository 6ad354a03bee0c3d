using PeerChat.Core.Client;

namespace PeerChat.PowerShell;

/// <summary>
/// A logged-in connection to a PeerChat server, as <c>Connect-PeerChat</c> returns it. Messages that
/// arrive wait in its inbox until <c>Receive-PeerChatMessage</c> takes them.
/// </summary>
public sealed class PeerChatSession
{
    private static int s_nextId;

    internal PeerChatSession(ChatClient client, Welcome welcome, string computerName, int port)
    {
        Id = Interlocked.Increment(ref s_nextId);
        Client = client;
        Inbox = new ChatInbox(client);
        ComputerName = computerName;
        Port = port;
        UserName = welcome.UserName;
        ClientId = welcome.ClientId;
        Address = welcome.Address;
        IdleTimeout = welcome.IdleTimeout;
        ConnectedAt = DateTime.Now;
    }

    public int Id { get; }

    public string ComputerName { get; }

    public int Port { get; }

    public string UserName { get; }

    public string ClientId { get; }

    /// <summary>This client's address as the server sees it.</summary>
    public string Address { get; }

    public TimeSpan IdleTimeout { get; }

    /// <summary>The port this session listens on for direct messages; null with -NoDirect.</summary>
    public int? DirectPort => Client.DirectPort;

    public DateTime ConnectedAt { get; }

    /// <summary>Open, or Closed once the connection has ended.</summary>
    public string State => Client.IsConnected ? "Open" : "Closed";

    /// <summary>Why the session ended (the server's notice or error), once it has.</summary>
    public string? CloseReason => Client.IsConnected ? null : Client.CloseReason?.Message;

    /// <summary>Messages and notices waiting to be received.</summary>
    public int PendingMessages => Inbox.Count;

    public bool IsDefault => ReferenceEquals(SessionRegistry.Default, this);

    internal ChatClient Client { get; }

    internal ChatInbox Inbox { get; }

    public override string ToString() => $"{UserName}@{ComputerName}:{Port}";
}
