using PeerChat.Core.Irc;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// The IRC front end of a cluster's node (docs/IRC.md, "Clusters"): an IRC client on node A sees
/// the users of node B in #everyone's NAMES, WHO and WHOIS, and their JOIN and QUIT. Real sockets,
/// a real redis-server.
/// </summary>
public sealed class ClusterIrcTests
{
    [RedisFact]
    public async Task NamesAndWhoOfEveryone_OnNodeA_ListTheUsersOfNodeB_AtRegistrationAndAfter()
    {
        await using var cluster = await StartAsync();
        await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("bob"), "node A has bob online");
        using var alice = await IrcTestClient.LoginAsync(cluster.Nodes[0], "alice");
        var atRegistration = alice.Transcript.Single(l => l.Contains(" 353 ", StringComparison.Ordinal));

        await alice.SendAsync("NAMES #everyone", "WHO #everyone");
        var names = await alice.ReadUntilAsync("353");
        await alice.ReadUntilAsync("366");
        var who = await WhoRepliesAsync(alice);

        Assert.Equal(["alice", "bob"], atRegistration[(atRegistration.LastIndexOf(" :", StringComparison.Ordinal) + 2)..].Split(' ').Order(StringComparer.Ordinal));
        Assert.Equal(["alice", "bob"], names.Parameters[^1].Split(' ').Order(StringComparer.Ordinal));
        Assert.Equal([("alice", "H"), ("bob", "H")], who.Select(w => (w.Parameters[5], w.Parameters[6])).OrderBy(w => w.Item1, StringComparer.Ordinal));
    }

    [RedisFact]
    public async Task WhoAndWhois_OnNodeA_FindAUserOfNodeB_AndNameTheNode()
    {
        await using var cluster = await StartAsync();
        await cluster.Nodes[1].LoginAsync("bob");
        await cluster.WaitUntilAsync(() => cluster.EveryNodeSees("bob"), "node A has bob online");
        using var alice = await IrcTestClient.LoginAsync(cluster.Nodes[0], "alice");

        await alice.SendAsync("WHO bob", "WHOIS bob");
        var who = await WhoRepliesAsync(alice);
        var whoisUser = await alice.ReadUntilAsync("311");
        var whoisServer = await alice.ReadUntilAsync("312");
        await alice.ReadUntilAsync("318");

        Assert.Equal([("bob", "H")], who.Select(w => (w.Parameters[5], w.Parameters[6])));
        Assert.Equal("bob", whoisUser.Parameters[1]);
        Assert.EndsWith("(peerchat, node node-b)", whoisServer.Parameters[^1]);
    }

    [RedisFact]
    public async Task UsersComingAndGoingOnNodeB_JoinAndQuitEveryone_ForAnIrcClientOnNodeA()
    {
        await using var cluster = await StartAsync();
        using var alice = await IrcTestClient.LoginAsync(cluster.Nodes[0], "alice");

        var carol = await cluster.Nodes[1].LoginAsync("carol");
        var joined = await alice.ReadUntilAsync("JOIN");
        await carol.DisposeAsync();
        var quit = await alice.ReadUntilAsync("QUIT");

        Assert.Equal((IrcText.Mask("carol"), IrcText.Everyone), (joined.Source, joined.Parameters[0]));
        Assert.Equal(IrcText.Mask("carol"), quit.Source);
    }

    private static Task<TestCluster> StartAsync() => TestCluster.StartAsync(2, configure: o => o with { IrcPort = 0 });

    // The 352 lines up to the end of a WHO.
    private static async Task<List<IrcMessage>> WhoRepliesAsync(IrcTestClient client)
    {
        var replies = new List<IrcMessage>();
        for (var seen = 0; seen < 100; seen++)
        {
            var line = await client.ReadAsync() ?? throw new InvalidOperationException("Closed before the end of WHO.");
            if (line.Command == "315")
            {
                return replies;
            }

            if (line.Command == "352")
            {
                replies.Add(line);
            }
        }

        throw new InvalidOperationException("No end of WHO in 100 lines.");
    }
}
