namespace PeerChat.Core.Chat;

/// <summary>
/// A node of the same name is live in the cluster (its heartbeat has not expired): two nodes of
/// one name would each take the other's sessions, presence and bus entries for their own, so the
/// second one does not start. A node killed without leaving keeps its heartbeat for up to its time
/// to live: started again under its name, it is refused for at most <see cref="ExpiresIn"/>.
/// </summary>
public sealed class NodeNameInUseException(string nodeName, string where, TimeSpan expiresIn)
    : Exception($"A node named '{nodeName}' is live in the cluster at {where}: its heartbeat expires in {Math.Ceiling(Math.Max(0, expiresIn.TotalSeconds))} s unless that node refreshes it. Give this server another node name; or, if that node was this server and it ended without leaving (killed), start it again once that time has passed.")
{
    public string NodeName { get; } = nodeName;

    /// <summary>How long the live node's heartbeat lasts unless refreshed.</summary>
    public TimeSpan ExpiresIn { get; } = expiresIn;
}
