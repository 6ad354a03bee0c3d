using System.Collections.Immutable;
using System.Text;

namespace PeerChat.Core.Accounts;

/// <summary>
/// The lines of a user store file, in order: accounts, and the raw bytes of lines that could not be
/// read, so that writing the file back keeps them. Immutable: a change makes a new content.
/// </summary>
internal sealed class UserStoreContent
{
    public static readonly UserStoreContent Empty = new([], ImmutableDictionary.Create<string, UserRecord>(PasswordRules.UserNameComparer), [], ImmutableDictionary<int, int>.Empty);

    private readonly ImmutableList<Line> _lines;

    /// <summary>How many accounts use each iteration count (kept as accounts change, not recounted).</summary>
    private readonly ImmutableDictionary<int, int> _iterationCounts;

    private UserStoreContent(ImmutableList<Line> lines, ImmutableDictionary<string, UserRecord> accounts, IReadOnlyList<UserStoreIssue> issues, ImmutableDictionary<int, int> iterationCounts)
    {
        _lines = lines;
        Accounts = accounts;
        Issues = issues;
        _iterationCounts = iterationCounts;
    }

    public ImmutableDictionary<string, UserRecord> Accounts { get; }

    /// <summary>
    /// The iteration count most accounts use (the higher one on a tie); null with no accounts. What a
    /// wrong password for a typical account costs, and so what an unknown user's check must cost.
    /// </summary>
    public int? TypicalIterations =>
        _iterationCounts.IsEmpty ? null : _iterationCounts.MaxBy(pair => ((long)pair.Value << 32) | (uint)pair.Key).Key;

    public IReadOnlyList<UserStoreIssue> Issues { get; }

    /// <summary>A line is an account (<see cref="UserName"/> set) or raw bytes kept as they were.</summary>
    private sealed record Line(string? UserName, byte[] Raw);

    public static UserStoreContent Parse(string path, byte[] bytes, Encoding strictUtf8)
    {
        var lines = ImmutableList.CreateBuilder<Line>();
        var accounts = ImmutableDictionary.CreateBuilder<string, UserRecord>(PasswordRules.UserNameComparer);
        var issues = new List<UserStoreIssue>();
        var iterationCounts = ImmutableDictionary<int, int>.Empty;
        var lineNumber = 0;
        foreach (var raw in SplitLines(bytes))
        {
            lineNumber++;
            var reason = TryReadAccount(lineNumber == 1 ? WithoutByteOrderMark(raw) : raw, strictUtf8, out var record);
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
            iterationCounts = Count(iterationCounts, record, +1);
        }

        return new UserStoreContent(lines.ToImmutable(), accounts.ToImmutable(), issues, iterationCounts);
    }

    public UserStoreContent WithAccount(UserRecord record)
    {
        var raw = Encoding.UTF8.GetBytes($"{record.UserName},{record.HashRecord}");
        var index = _lines.FindIndex(l => l.UserName is not null && PasswordRules.UserNameComparer.Equals(l.UserName, record.UserName));
        if (index == 0 && _lines[0].Raw.AsSpan().StartsWith(Utf8ByteOrderMark))
        {
            // The file's mark stays where the editor put it.
            raw = [.. Utf8ByteOrderMark, .. raw];
        }

        var line = new Line(record.UserName, raw);
        var lines = index < 0 ? _lines.Add(line) : _lines.SetItem(index, line);
        var counts = Accounts.TryGetValue(record.UserName, out var replaced) ? Count(_iterationCounts, replaced, -1) : _iterationCounts;
        return new UserStoreContent(lines, Accounts.SetItem(record.UserName, record), Issues, Count(counts, record, +1));
    }

    private static ImmutableDictionary<int, int> Count(ImmutableDictionary<int, int> counts, UserRecord record, int change)
    {
        if (!PasswordHasher.TryParse(record.HashRecord, out var iterations, out _, out _))
        {
            return counts;
        }

        var count = counts.GetValueOrDefault(iterations) + change;
        return count > 0 ? counts.SetItem(iterations, count) : counts.Remove(iterations);
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

    /// <summary>
    /// The UTF-8 byte order mark that Notepad and Excel put at the start of a file: not part of the
    /// first account's name. It is kept in the line's raw bytes, so writing the file back keeps it.
    /// </summary>
    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    private static byte[] WithoutByteOrderMark(byte[] raw) => raw.AsSpan().StartsWith(Utf8ByteOrderMark) ? raw[3..] : raw;

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
            return $"'{QuotedText.Of(user)}' is not a valid user name";
        }

        if (PasswordHasher.TryReadIterations(hash, out var iterations) && iterations is < 1 or > PasswordHasher.MaxIterations)
        {
            return $"the hash of '{user}' asks for {iterations} iterations; a record may ask for 1 to {PasswordHasher.MaxIterations}, so that no login holds a hashing slot for long";
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
