namespace PeerChat.Core.Irc;

/// <summary>
/// Marks a method of <see cref="IrcConnection"/> as the handler of an IRC command. The method is
/// <c>ValueTask Name(IrcMessage message)</c>; the dispatch table is built from these at start, so a
/// new command is one method in any partial file of IrcConnection, with no table to edit.
/// </summary>
/// <param name="command">The command, in upper case.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
internal sealed class IrcCommandAttribute(string command) : Attribute
{
    public string Command { get; } = command;

    /// <summary>Fewer parameters are answered with 461 (ERR_NEEDMOREPARAMS) before the handler runs.</summary>
    public int MinParameters { get; init; }

    /// <summary>False for what a client may send before registration (CAP, PASS, NICK, USER, PING...); else 451 first.</summary>
    public bool NeedsRegistration { get; init; } = true;

    /// <summary>Counts for the idle rule and the client list, as the main port's user requests do.</summary>
    public bool IsUserRequest { get; init; }
}
