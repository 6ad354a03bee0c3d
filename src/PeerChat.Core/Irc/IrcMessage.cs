namespace PeerChat.Core.Irc;

/// <summary>
/// One IRC line, parsed: IRCv3 tags (unescaped, in order, a repeated key keeping its last value),
/// the source, the command (upper case) and the parameters (the trailing one without its colon).
/// </summary>
public sealed class IrcMessage
{
    private static readonly IReadOnlyList<KeyValuePair<string, string>> NoTags = [];

    public IrcMessage(string command, params string[] parameters)
        : this(NoTags, null, command, parameters)
    {
    }

    public IrcMessage(IReadOnlyList<KeyValuePair<string, string>> tags, string? source, string command, IReadOnlyList<string> parameters)
    {
        Tags = tags;
        Source = source;
        Command = command;
        Parameters = parameters;
    }

    /// <summary>The tags; a tag sent without a value has the empty string (the spec makes them equal).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; }

    /// <summary>The prefix without its colon (<c>nick!user@host</c> or a server name), or null.</summary>
    public string? Source { get; }

    /// <summary>Letters in upper case, or a three-digit numeric.</summary>
    public string Command { get; }

    public IReadOnlyList<string> Parameters { get; }

    /// <summary>The parameter at <paramref name="index"/>, or null when there are fewer.</summary>
    public string? Parameter(int index) => index < Parameters.Count ? Parameters[index] : null;

    /// <summary>The value of the tag named <paramref name="key"/>, or null when it was not sent.</summary>
    public string? Tag(string key)
    {
        foreach (var tag in Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}

/// <summary>Why a line was refused. Each maps to the numeric or FAIL the gateway answers with.</summary>
public enum IrcLineError
{
    None = 0,

    /// <summary>Nothing but spaces: ignored, as RFC 1459 says of empty messages.</summary>
    Empty,

    /// <summary>The part after the tags is over 512 bytes with its CRLF (ERR_INPUTTOOLONG, 417).</summary>
    InputTooLong,

    /// <summary>The tags, with their <c>@</c> and the space after them, are over 8191 bytes (417).</summary>
    TagsTooLong,

    /// <summary>Not UTF-8. PeerChat keeps text as Unicode, so it refuses the line rather than guess.</summary>
    InvalidUtf8,

    /// <summary>A NUL, or a CR before the end: no IRC line may carry them.</summary>
    ForbiddenCharacter,

    /// <summary>A tag with an empty or malformed key.</summary>
    BadTags,

    /// <summary>A <c>:</c> prefix with nothing after it.</summary>
    BadSource,

    /// <summary>No command (tags or a source with nothing after them), or one that is neither letters nor three digits.</summary>
    BadCommand,

    /// <summary>More than 15 parameters (RFC 1459, 2.3).</summary>
    TooManyParameters,
}

/// <summary>What <see cref="IrcLine.Parse"/> made of a line: a message, or the reason it is refused.</summary>
/// <param name="Message">The message when <paramref name="Error"/> is <see cref="IrcLineError.None"/>.</param>
/// <param name="Error">Why the line was refused.</param>
/// <param name="Command">On a refused line, its command when that much could be read (for <c>FAIL &lt;command&gt;</c>), else null.</param>
public readonly record struct IrcParseResult(IrcMessage? Message, IrcLineError Error, string? Command)
{
    public bool Success => Error == IrcLineError.None;

    internal static IrcParseResult Fail(IrcLineError error, string? command = null) => new(null, error, command);
}
