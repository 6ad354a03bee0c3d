using System.Collections.Immutable;
using System.Text;

namespace PeerChat.Core.Accounts;

/// <summary>
/// The lines of a user store file, in order: accounts, and the raw bytes of lines that could not be
/// read, so that writing the file back keeps them. Immutable: a change makes a new content.
/// </summary>
internal sealed class UserStoreContent
{
    public static readonly UserStoreContent Empty = new([], ImmutableDictionary.Create<string, UserRecord>(PasswordRules.UserNameComparer), []);

    private readonly ImmutableList<Line> _lines;

    private UserStoreContent(ImmutableList<Line> lines, ImmutableDictionary<string, UserRecord> accounts, IReadOnlyList<UserStoreIssue> issues)
    {
        _lines = lines;
        Accounts = accounts;
        Issues = issues;
    }

    public ImmutableDictionary<string, UserRecord> Accounts { get; }

    public IReadOnlyList<UserStoreIssue> Issues { get; }

    /// <summary>A line is an account (<see cref="UserName"/> set) or raw bytes kept as they were.</summary>
    private sealed record Line(string? UserName, byte[] Raw);

    public static UserStoreContent Parse(string path, byte[] bytes, Encoding strictUtf8)
    {
        var lines = ImmutableList.CreateBuilder<Line>();
        var accounts = ImmutableDictionary.CreateBuilder<string, UserRecord>(PasswordRules.UserNameComparer);
        var issues = new List<UserStoreIssue>();
        var lineNumber = 0;
        foreach (var raw in SplitLines(bytes))
        {
            lineNumber++;
            var reason = TryReadAccount(raw, strictUtf8, out var record);
            if (record is not null && accounts.ContainsKey(record.UserName))
            {
                reason = $"duplicate account '{record.UserName}'; the first one counts";
                record = null;
            }

            if (record is null)
            {
                if (reason is not null)
                {
                    issues.Add(new UserStoreIssue(path, lineNumber, reason));
                }

                lines.Add(new Line(null, raw));
                continue;
            }

            accounts.Add(record.UserName, record);
            lines.Add(new Line(record.UserName, raw));
        }

        return new UserStoreContent(lines.ToImmutable(), accounts.ToImmutable(), issues);
    }

    public UserStoreContent WithAccount(UserRecord record)
    {
        var raw = Encoding.UTF8.GetBytes($"{record.UserName},{record.HashRecord}");
        var line = new Line(record.UserName, raw);
        var index = _lines.FindIndex(l => l.UserName is not null && PasswordRules.UserNameComparer.Equals(l.UserName, record.UserName));
        var lines = index < 0 ? _lines.Add(line) : _lines.SetItem(index, line);
        return new UserStoreContent(lines, Accounts.SetItem(record.UserName, record), Issues);
    }

    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        foreach (var line in _lines)
        {
            stream.Write(line.Raw);
            stream.WriteByte((byte)'\n');
        }

        return stream.ToArray();
    }

    /// <summary>Returns why the line is not an account (null for a blank line), or sets <paramref name="record"/>.</summary>
    private static string? TryReadAccount(byte[] raw, Encoding strictUtf8, out UserRecord? record)
    {
        record = null;
        string text;
        try
        {
            text = strictUtf8.GetString(raw).TrimEnd('\r');
        }
        catch (DecoderFallbackException)
        {
            return "the line is not valid UTF-8";
        }

        if (text.Trim().Length == 0)
        {
            return null;
        }

        var comma = text.IndexOf(',');
        if (comma < 0)
        {
            return "the line has no comma (expected user,hash)";
        }

        var user = text[..comma];
        var hash = text[(comma + 1)..];
        if (!PasswordRules.IsValidUserName(user))
        {
            return $"'{user}' is not a valid user name";
        }

        if (!PasswordHasher.IsWellFormed(hash))
        {
            return $"the hash of '{user}' is not a pbkdf2-sha256 record";
        }

        record = new UserRecord(user, hash);
        return null;
    }

    private static IEnumerable<byte[]> SplitLines(byte[] bytes)
    {
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                end = bytes.Length;
            }

            yield return bytes[start..end];
            start = end + 1;
        }
    }
}
