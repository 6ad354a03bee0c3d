namespace PeerChat.Core.Irc;

/// <summary>The numeric replies the gateway sends (RFC 1459/2812, IRCv3 SASL, modern.ircdocs.horse).</summary>
internal static class IrcNumerics
{
    public const string Welcome = "001";
    public const string YourHost = "002";
    public const string Created = "003";
    public const string MyInfo = "004";
    public const string ISupport = "005";
    public const string UserModeIs = "221";
    public const string UserHost = "302";
    public const string IsOn = "303";
    public const string ChannelModeIs = "324";
    public const string NoTopic = "331";
    public const string Topic = "332";
    public const string NameReply = "353";
    public const string EndOfNames = "366";
    public const string Motd = "372";
    public const string MotdStart = "375";
    public const string EndOfMotd = "376";
    public const string ErrNoSuchNick = "401";
    public const string ErrNoSuchChannel = "403";
    public const string ErrCannotSendToChan = "404";
    public const string ErrNoRecipient = "411";
    public const string ErrNoTextToSend = "412";
    public const string ErrInputTooLong = "417";
    public const string ErrUnknownCommand = "421";
    public const string ErrNoMotd = "422";
    public const string ErrNoNicknameGiven = "431";
    public const string ErrErroneousNickname = "432";
    public const string ErrNicknameInUse = "433";
    public const string ErrNotRegistered = "451";
    public const string ErrNeedMoreParams = "461";
    public const string ErrAlreadyRegistered = "462";
    public const string ErrPasswdMismatch = "464";
    public const string ErrUsersDontMatch = "502";
    public const string ErrInvalidCapCmd = "410";
    public const string LoggedIn = "900";
    public const string ErrNickLocked = "902";
    public const string SaslSuccess = "903";
    public const string ErrSaslFail = "904";
    public const string ErrSaslTooLong = "905";
    public const string ErrSaslAborted = "906";
    public const string ErrSaslAlready = "907";
    public const string SaslMechs = "908";
}
