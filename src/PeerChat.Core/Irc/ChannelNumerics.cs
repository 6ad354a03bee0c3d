namespace PeerChat.Core.Irc;

/// <summary>The numeric replies of channels and users (RFC 2812, modern.ircdocs.horse), beside <see cref="IrcNumerics"/>.</summary>
internal static class ChannelNumerics
{
    public const string EndOfWho = "315";
    public const string WhoisUser = "311";
    public const string WhoisServer = "312";
    public const string EndOfWhois = "318";
    public const string WhoisChannels = "319";
    public const string ListStart = "321";
    public const string List = "322";
    public const string ListEnd = "323";
    public const string WhoisAccount = "330";
    public const string WhoReply = "352";
    public const string ErrTooManyChannels = "405";
    public const string ErrNotOnChannel = "442";
    public const string ErrBadChanMask = "476";
    public const string ErrChanOPrivsNeeded = "482";
}
