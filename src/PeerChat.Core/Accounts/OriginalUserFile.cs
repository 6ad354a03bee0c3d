using System.Text;

namespace PeerChat.Core.Accounts;

/// <summary>
/// Reads the original C++ program's <c>users.csv</c>: one <c>name,password</c> a line, the password
/// in plain text (everything after the first comma, so it may hold commas). Lines that cannot be
/// imported are returned with the reason, never silently dropped.
/// </summary>
public static class OriginalUserFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>One line: an account to import (<see cref="Problem"/> null) or the reason it is skipped.</summary>
    public sealed record Entry(int LineNumber, string? UserName, string? Password, string? Problem)
    {
        public bool CanImport => Problem is null;

        // The password never reaches logs or output through a record's generated ToString.
        public override string ToString() => $"line {LineNumber}: {UserName ?? "?"}{(Problem is null ? string.Empty : " (" + Problem + ")")}";
    }

    public static IReadOnlyList<Entry> Read(byte[] bytes)
    {
        var entries = new List<Entry>();
        var seen = new HashSet<string>(PasswordRules.UserNameComparer);
        var lineNumber = 0;
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            end = end < 0 ? bytes.Length : end;
            lineNumber++;
            entries.Add(ReadLine(bytes.AsSpan(start, end - start), lineNumber, seen));
            start = end + 1;
        }

        return entries;
    }

    private static Entry ReadLine(ReadOnlySpan<byte> raw, int lineNumber, HashSet<string> seen)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(raw).TrimEnd('\r');
            if (lineNumber == 1)
            {
                // The byte order mark Notepad and Excel put first is not part of the first name.
                text = text.TrimStart(QuotedText.ByteOrderMark);
            }
        }
        catch (DecoderFallbackException)
        {
            return new Entry(lineNumber, null, null, "the line is not valid UTF-8");
        }

        if (text.Trim().Length == 0)
        {
            return new Entry(lineNumber, null, null, "the line is empty");
        }

        var comma = text.IndexOf(',');
        if (comma < 0)
        {
            return new Entry(lineNumber, null, null, "the line has no comma (expected name,password)");
        }

        var name = text[..comma];
        var password = text[(comma + 1)..];
        if (!PasswordRules.IsValidUserName(name))
        {
            return new Entry(lineNumber, name, null, $"'{QuotedText.Of(name)}' breaks the user name rule (1 to 32 of A-Z a-z 0-9 . _ -)");
        }

        if (password.Length == 0 || password.Length > PasswordRules.MaxLength)
        {
            return new Entry(lineNumber, name, null, $"the password is empty or longer than {PasswordRules.MaxLength} characters");
        }

        if (!seen.Add(name))
        {
            return new Entry(lineNumber, name, null, $"'{name}' appears earlier in the file; the first one counts");
        }

        return new Entry(lineNumber, name, password, null);
    }
}
