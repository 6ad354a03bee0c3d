using PeerChat.Core.Accounts;
using PeerChat.Core.Protocol;

namespace PeerChat.Core.Irc;

/// <summary>
/// WHO and WHOIS. A user's channels are shown as far as the asker shares them (and #everyone when
/// online): the gateway tells no one which rooms another user is in beyond that. In a cluster both
/// find the users of every node.
/// </summary>
internal sealed partial class IrcConnection
{
    [IrcCommand("WHO")]
    private ValueTask WhoCommand(IrcMessage message)
    {
        var mask = message.Parameter(0) ?? "*";
        if (IrcText.IsEveryone(mask))
        {
            foreach (var name in OnlineNames())
            {
                WhoReply(IrcText.Everyone, name);
            }
        }
        else if (FindChannel(mask) is { } channel)
        {
            foreach (var name in MembersOf(channel))
            {
                WhoReply(channel.Name, name);
            }
        }
        else if (!mask.StartsWith('#') && FindOnline(mask) is { } client)
        {
            WhoReply("*", client.UserName);
        }

        Reply(ChannelNumerics.EndOfWho, mask, "End of WHO list");
        return ValueTask.CompletedTask;
    }

    /// <summary>352: H for a user online, G (gone) for a room member who is not.</summary>
    private void WhoReply(string channel, string nick)
    {
        var online = _server.Chat.IsOnline(nick) || PasswordRules.UserNameComparer.Equals(nick, UserName);
        Reply(ChannelNumerics.WhoReply, channel, nick, IrcText.UserHost, ServerName, nick, online ? "H" : "G", $"0 {nick}");
    }

    [IrcCommand("WHOIS", MinParameters = 1)]
    private ValueTask WhoisCommand(IrcMessage message)
    {
        // WHOIS [server] nick: the last parameter is the nick.
        var nick = message.Parameters[^1].Split(',')[0];
        var client = PasswordRules.UserNameComparer.Equals(nick, UserName) ? Snapshot() : FindOnline(nick);
        if (client is null)
        {
            Reply(IrcNumerics.ErrNoSuchNick, nick, "No such nick: no PeerChat user of that name is online");
            Reply(ChannelNumerics.EndOfWhois, nick, "End of /WHOIS list.");
            return ValueTask.CompletedTask;
        }

        var name = client.UserName;
        Reply(ChannelNumerics.WhoisUser, name, name, IrcText.UserHost, "*", name);
        Reply(ChannelNumerics.WhoisServer, name, ServerName, $"{_options.ServerName} ({client.Via ?? "peerchat"}{NodeOf(client)})");
        Reply(ChannelNumerics.WhoisAccount, name, name, "is logged in as");
        var shared = ChannelsSnapshot().Where(c => MembersOf(c).Contains(name, PasswordRules.UserNameComparer)).Select(c => c.Name);
        Reply(ChannelNumerics.WhoisChannels, name, string.Join(' ', shared.Prepend(IrcText.Everyone)));
        Reply(ChannelNumerics.EndOfWhois, name, "End of /WHOIS list.");
        return ValueTask.CompletedTask;
    }

    /// <summary>The user online here or, in a cluster, on another node (with its <see cref="ClientInfo.Node"/>); null when offline.</summary>
    private ClientInfo? FindOnline(string nick) => _server.Chat.Find(nick)?.Snapshot() ?? _server.Chat.Backplane?.FindRemote(nick);

    // In a cluster WHOIS says which node holds the user: ", node node-b".
    private string NodeOf(ClientInfo client) =>
        (client.Node ?? _server.Chat.Backplane?.NodeName) is { } node ? $", node {node}" : string.Empty;
}
