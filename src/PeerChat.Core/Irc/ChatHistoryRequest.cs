using System.Globalization;
using PeerChat.Core.Chat;

namespace PeerChat.Core.Irc;

/// <summary>The subcommands of IRCv3 <c>CHATHISTORY</c> (draft/chathistory).</summary>
public enum ChatHistorySubcommand
{
    Latest,
    Before,
    After,
    Around,
    Between,
    Targets,
}

/// <summary>A point in a conversation: <c>msgid=</c> (a PeerChat message id), <c>timestamp=</c>, or <c>*</c> (LATEST only: no bound).</summary>
public readonly record struct HistorySelector(string? MessageId, DateTimeOffset? Timestamp)
{
    /// <summary><c>*</c>: no bound.</summary>
    public static HistorySelector None => default;

    public bool IsNone => MessageId is null && Timestamp is null;

    public static HistorySelector ForMessage(string messageId) => new(messageId, null);

    public static HistorySelector ForTime(DateTimeOffset time) => new(null, IrcTime.Truncate(time));

    /// <summary>As a client writes it.</summary>
    public override string ToString() =>
        MessageId is not null ? "msgid=" + MessageId : Timestamp is { } time ? "timestamp=" + IrcTime.ToServerTime(time) : "*";
}

/// <summary>Why a CHATHISTORY command is refused, as a standard reply: <c>FAIL CHATHISTORY &lt;Code&gt; &lt;Context...&gt; :&lt;Description&gt;</c>.</summary>
public sealed record ChatHistoryFailure(string Code, IReadOnlyList<string> Context, string Description)
{
    public const string NeedMoreParams = "NEED_MORE_PARAMS";
    public const string UnknownCommand = "UNKNOWN_COMMAND";
    public const string InvalidParams = "INVALID_PARAMS";
    public const string InvalidTarget = "INVALID_TARGET";
    public const string MessageError = "MESSAGE_ERROR";
}

/// <summary>
/// One CHATHISTORY command, read and checked. The limit is cut to the server's most
/// (ISUPPORT <c>CHATHISTORY=</c>), as the specification lets a server do.
/// </summary>
public sealed record ChatHistoryRequest(ChatHistorySubcommand Subcommand, string Target, HistorySelector First, HistorySelector Second, int Limit)
{
    /// <summary>
    /// Reads the parameters of a CHATHISTORY command (the subcommand first); a null result comes
    /// with the failure to answer. A limit above <paramref name="maxLimit"/> is cut to it.
    /// </summary>
    public static ChatHistoryRequest? Parse(IReadOnlyList<string> parameters, int maxLimit, out ChatHistoryFailure? failure)
    {
        failure = null;
        if (parameters.Count == 0)
        {
            failure = new(ChatHistoryFailure.NeedMoreParams, ["CHATHISTORY"], "Missing parameters");
            return null;
        }

        var name = parameters[0].ToUpperInvariant();
        ChatHistorySubcommand subcommand;
        switch (name)
        {
            case "LATEST": subcommand = ChatHistorySubcommand.Latest; break;
            case "BEFORE": subcommand = ChatHistorySubcommand.Before; break;
            case "AFTER": subcommand = ChatHistorySubcommand.After; break;
            case "AROUND": subcommand = ChatHistorySubcommand.Around; break;
            case "BETWEEN": subcommand = ChatHistorySubcommand.Between; break;
            case "TARGETS": subcommand = ChatHistorySubcommand.Targets; break;
            default:
                failure = new(ChatHistoryFailure.UnknownCommand, [parameters[0]], "Unknown subcommand: LATEST, BEFORE, AFTER, AROUND, BETWEEN and TARGETS are supported");
                return null;
        }

        // TARGETS has no target: its two bounds and limit follow the subcommand.
        var twoBounds = subcommand is ChatHistorySubcommand.Between or ChatHistorySubcommand.Targets;
        var targetCount = subcommand == ChatHistorySubcommand.Targets ? 0 : 1;
        var needed = 1 + targetCount + (twoBounds ? 2 : 1) + 1;
        if (parameters.Count < needed)
        {
            failure = new(ChatHistoryFailure.NeedMoreParams, [name], $"Missing parameters: CHATHISTORY {name} {Usage(subcommand)}");
            return null;
        }

        var target = targetCount == 1 ? parameters[1] : "*";
        var at = 1 + targetCount;
        var timesOnly = subcommand == ChatHistorySubcommand.Targets;
        if (!TryReadSelector(parameters[at], allowNone: subcommand == ChatHistorySubcommand.Latest, timesOnly, out var first))
        {
            failure = InvalidSelector(name, parameters[at], subcommand, timesOnly);
            return null;
        }

        var second = HistorySelector.None;
        if (twoBounds && !TryReadSelector(parameters[at + 1], allowNone: false, timesOnly, out second))
        {
            failure = InvalidSelector(name, parameters[at + 1], subcommand, timesOnly);
            return null;
        }

        var limitText = parameters[at + (twoBounds ? 2 : 1)];
        if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1)
        {
            // A number too large to read is still a valid wish for "as many as you give".
            if (limitText.Length > 0 && limitText.All(char.IsAsciiDigit) && limitText.Any(c => c != '0'))
            {
                limit = int.MaxValue;
            }
            else
            {
                failure = new(ChatHistoryFailure.InvalidParams, [name, limitText], "The limit must be a whole number of at least 1");
                return null;
            }
        }

        return new ChatHistoryRequest(subcommand, target, first, second, Math.Min(limit, maxLimit));
    }

    private static bool TryReadSelector(string text, bool allowNone, bool timesOnly, out HistorySelector selector)
    {
        selector = HistorySelector.None;
        if (text == "*")
        {
            return allowNone;
        }

        if (text.StartsWith("timestamp=", StringComparison.Ordinal))
        {
            if (!IrcTime.TryParse(text["timestamp=".Length..], out var time))
            {
                return false;
            }

            selector = HistorySelector.ForTime(time);
            return true;
        }

        if (!timesOnly && text.StartsWith("msgid=", StringComparison.Ordinal) && MessageIds.IsWellFormed(text["msgid=".Length..]))
        {
            selector = HistorySelector.ForMessage(text["msgid=".Length..]);
            return true;
        }

        return false;
    }

    private static ChatHistoryFailure InvalidSelector(string name, string text, ChatHistorySubcommand subcommand, bool timesOnly) =>
        new(ChatHistoryFailure.InvalidParams, [name, text], timesOnly
            ? "TARGETS takes two timestamp=YYYY-MM-DDThh:mm:ss.sssZ bounds"
            : subcommand == ChatHistorySubcommand.Latest
                ? "Expected *, msgid=<a PeerChat message id> or timestamp=YYYY-MM-DDThh:mm:ss.sssZ"
                : "Expected msgid=<a PeerChat message id> or timestamp=YYYY-MM-DDThh:mm:ss.sssZ");

    private static string Usage(ChatHistorySubcommand subcommand) => subcommand switch
    {
        ChatHistorySubcommand.Latest => "<target> <* | msgid=... | timestamp=...> <limit>",
        ChatHistorySubcommand.Between => "<target> <msgid=... | timestamp=...> <msgid=... | timestamp=...> <limit>",
        ChatHistorySubcommand.Targets => "<timestamp=...> <timestamp=...> <limit>",
        _ => "<target> <msgid=... | timestamp=...> <limit>",
    };
}
