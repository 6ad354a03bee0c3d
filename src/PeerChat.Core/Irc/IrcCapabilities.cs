using PeerChat.Core.Accounts;

namespace PeerChat.Core.Irc;

/// <summary>What the gateway offers: its IRCv3 capabilities (CAP LS) and its ISUPPORT tokens (005).</summary>
internal static class IrcCapabilities
{
    /// <summary>
    /// The capabilities a client may request, with the value CAP LS 302 shows (null: none). A new
    /// one is a line here and its behaviour where it applies.
    /// </summary>
    private static readonly (string Name, string? Value)[] Supported =
    [
        ("batch", null),
        ("cap-notify", null),
        ("draft/chathistory", null),
        ("echo-message", null),
        ("message-tags", null),
        ("sasl", "PLAIN"),
        ("server-time", null),
    ];

    public static bool IsKnown(string name) => Supported.Any(c => c.Name == name);

    /// <summary>The CAP LS list: values only for 302 clients, as the spec says.</summary>
    public static string Advertised(bool withValues) =>
        string.Join(' ', Supported.Select(c => withValues && c.Value is not null ? $"{c.Name}={c.Value}" : c.Name));

    /// <summary>
    /// The 005 tokens, each true of this gateway: nicks are account names and channels room names
    /// (the same rule: 1 to 32 of A-Z a-z 0-9 . _ -, compared without case, ASCII only), there are
    /// no channel or user privileges, and lines are 512 bytes of UTF-8 (anything else is refused).
    /// </summary>
    public static IEnumerable<string> ISupport(ChatServerOptions options) =>
    [
        "CASEMAPPING=ascii",
        $"CHANLIMIT=#:{options.MaxRoomsPerUser + 1}",
        "CHANMODES=,,,nt",
        $"CHANNELLEN={PasswordRules.MaxUserNameLength + 1}",
        "CHANTYPES=#",
        .. (options.MessageStore is null ? Array.Empty<string>() : [$"CHATHISTORY={options.HistoryPageMax}", "MSGREFTYPES=msgid,timestamp"]),
        "LINELEN=512",
        $"NETWORK={Escape(options.ServerName)}",
        $"NICKLEN={PasswordRules.MaxUserNameLength}",
        "PREFIX=",
        "TARGMAX=PRIVMSG:1,NOTICE:1",
        "UTF8ONLY",
    ];

    /// <summary>An ISUPPORT value escapes spaces, backslashes and '=' as \xHH.</summary>
    private static string Escape(string value) =>
        value.Replace("\\", "\\x5C", StringComparison.Ordinal).Replace(" ", "\\x20", StringComparison.Ordinal).Replace("=", "\\x3D", StringComparison.Ordinal);
}
