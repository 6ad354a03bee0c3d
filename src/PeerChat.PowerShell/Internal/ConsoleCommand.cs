namespace PeerChat.PowerShell.Internal;

/// <summary>One line typed into Enter-PeerChat, understood.</summary>
internal sealed record ConsoleCommand(ConsoleCommandKind Kind, string Text = "", string Target = "")
{
    public const string HelpText = """
        /list                   who is online, with their addresses
        /broadcast TEXT         send TEXT to everyone
        /msg USER TEXT          send TEXT to USER (queued for USER's next login when offline)
        /to #ROOM | @USER | *   where lines that are not commands go: a room, a user, or everyone (*)
        /join ROOM              join ROOM (created if new) and talk there
        /leave [ROOM]           leave ROOM (by default the room you talk in)
        /rooms                  the rooms, their members and your unread messages
        /history [N]            the last N (20) messages of where you talk, and mark them read
        msg_TEXT_ADDRESS        the original program's form: send TEXT to the client at ADDRESS (as /list shows it)
        /help                   this list
        /quit                   leave (the session stays connected)
        """;

    /// <summary>Parses a line; an unknown /command is <see cref="ConsoleCommandKind.Unknown"/>, never a broadcast by mistake.</summary>
    public static ConsoleCommand Parse(string line)
    {
        var trimmed = line.Trim();
        if (trimmed.Length == 0)
        {
            return new(ConsoleCommandKind.Empty);
        }

        if (trimmed.StartsWith("msg_", StringComparison.Ordinal))
        {
            // msg_TEXT_ADDRESS: the address is after the last underscore, so TEXT may hold underscores.
            var last = trimmed.LastIndexOf('_');
            return last > 4 && last < trimmed.Length - 1
                ? new(ConsoleCommandKind.MessageToAddress, trimmed[4..last], trimmed[(last + 1)..])
                : new(ConsoleCommandKind.Unknown, trimmed);
        }

        if (!trimmed.StartsWith('/'))
        {
            return new(ConsoleCommandKind.Say, line);
        }

        var space = trimmed.IndexOf(' ');
        var verb = (space < 0 ? trimmed : trimmed[..space]).ToLowerInvariant();
        var rest = space < 0 ? string.Empty : trimmed[(space + 1)..].Trim();
        switch (verb)
        {
            case "/list":
                return new(ConsoleCommandKind.List);
            case "/help" or "/?":
                return new(ConsoleCommandKind.Help);
            case "/quit" or "/exit":
                return new(ConsoleCommandKind.Quit);
            case "/broadcast" when rest.Length > 0:
                return new(ConsoleCommandKind.Broadcast, rest);
            case "/to" when rest.Length > 0 && !rest.Contains(' ', StringComparison.Ordinal):
                return new(ConsoleCommandKind.To, Target: rest);
            case "/join" when rest.Length > 0 && !rest.Contains(' ', StringComparison.Ordinal):
                return new(ConsoleCommandKind.Join, Target: rest.TrimStart('#'));
            case "/leave" when !rest.Contains(' ', StringComparison.Ordinal):
                return new(ConsoleCommandKind.Leave, Target: rest.TrimStart('#'));
            case "/rooms" when rest.Length == 0:
                return new(ConsoleCommandKind.Rooms);
            case "/history" when rest.Length == 0 || (int.TryParse(rest, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0):
                return new(ConsoleCommandKind.History, Target: rest);
            case "/msg":
                var split = rest.IndexOf(' ');
                return split > 0
                    ? new(ConsoleCommandKind.Message, rest[(split + 1)..].Trim(), rest[..split])
                    : new(ConsoleCommandKind.Unknown, trimmed);
            default:
                return new(ConsoleCommandKind.Unknown, trimmed);
        }
    }
}

internal enum ConsoleCommandKind
{
    Empty,

    /// <summary>A line that is not a command: to the conversation the console talks in.</summary>
    Say,
    Broadcast,
    Message,
    MessageToAddress,
    List,
    To,
    Join,
    Leave,
    Rooms,
    History,
    Help,
    Quit,
    Unknown,
}
