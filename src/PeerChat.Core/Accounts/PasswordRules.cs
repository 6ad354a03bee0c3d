namespace PeerChat.Core.Accounts;

/// <summary>The account rules of docs/PROTOCOL.md: user names and password lengths.</summary>
public static class PasswordRules
{
    public const int MaxLength = 1024;
    public const int MaxUserNameLength = 32;

    /// <summary>1–32 of <c>A-Z a-z 0-9 . _ -</c>; names compare case-insensitively.</summary>
    public static bool IsValidUserName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxUserNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidPassword(string? password, int minLength) =>
        password is not null && password.Length >= minLength && password.Length <= MaxLength;

    public static readonly StringComparer UserNameComparer = StringComparer.OrdinalIgnoreCase;
}
