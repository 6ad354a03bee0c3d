using PeerChat.Core.Accounts;

namespace PeerChat.Core.Chat;

/// <summary>The three kinds of conversation: everyone (broadcasts), a room, and the direct conversation of two users.</summary>
public enum ConversationKind
{
    Everyone,
    Room,
    Direct,
}

/// <summary>
/// One conversation, named the same way whoever asks: a room by its name in lower case, the
/// direct conversation of two users by both names in lower case and in order, so that alice's
/// "with bob" and bob's "with alice" are one key. <see cref="Id"/> is the key a store files it under.
/// </summary>
public readonly record struct ConversationKey
{
    private ConversationKey(ConversationKind kind, string id, string? room, string? first, string? second)
    {
        Kind = kind;
        Id = id;
        Room = room;
        First = first;
        Second = second;
    }

    public static ConversationKey Everyone { get; } = new(ConversationKind.Everyone, "*", null, null, null);

    public ConversationKind Kind { get; }

    /// <summary>A stable text key: <c>*</c>, <c>#room</c>, or <c>@first|second</c> (names in lower case, ordinal order).</summary>
    public string Id { get; }

    /// <summary>The room's name in lower case; null unless a room.</summary>
    public string? Room { get; }

    /// <summary>The two users of a direct conversation, in lower case and ordinal order; null otherwise.</summary>
    public string? First { get; }

    public string? Second { get; }

    public static ConversationKey ForRoom(string room) =>
        new(ConversationKind.Room, "#" + Normalize(room), Normalize(room), null, null);

    public static ConversationKey Direct(string user, string other)
    {
        var (a, b) = (Normalize(user), Normalize(other));
        if (string.CompareOrdinal(a, b) > 0)
        {
            (a, b) = (b, a);
        }

        return new(ConversationKind.Direct, "@" + a + "|" + b, null, a, b);
    }

    /// <summary>Reads back a key from its <see cref="Id"/>; false when the text is not one.</summary>
    public static bool TryParse(string id, out ConversationKey key)
    {
        key = default;
        if (id == "*")
        {
            key = Everyone;
            return true;
        }

        if (id.Length > 1 && id[0] == '#' && PasswordRules.IsValidUserName(id[1..]))
        {
            key = ForRoom(id[1..]);
            return true;
        }

        var bar = id.IndexOf('|', StringComparison.Ordinal);
        if (id.Length > 1 && id[0] == '@' && bar > 1
            && PasswordRules.IsValidUserName(id[1..bar]) && PasswordRules.IsValidUserName(id[(bar + 1)..]))
        {
            key = Direct(id[1..bar], id[(bar + 1)..]);
            return key.Id == id;
        }

        return false;
    }

    /// <summary>In a direct conversation, the user who is not <paramref name="user"/>.</summary>
    public string? PeerOf(string user) =>
        Kind != ConversationKind.Direct ? null
        : string.Equals(First, user, StringComparison.OrdinalIgnoreCase) ? Second : First;

    /// <summary>Whether <paramref name="user"/> is one of the two users of a direct conversation.</summary>
    public bool Involves(string user) =>
        Kind == ConversationKind.Direct
        && (string.Equals(First, user, StringComparison.OrdinalIgnoreCase) || string.Equals(Second, user, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => Id;

    // User and room names are ASCII (PasswordRules), so invariant lower case is exact.
    private static string Normalize(string name) => name.ToLowerInvariant();
}
