using System.Text;
using PeerChat.Core.Accounts;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// The user store file as people and tools leave it: linked in from elsewhere, saved by Notepad
/// with a byte order mark, readable by others, or holding lines with terminal escapes.
/// </summary>
public sealed class UserStoreFileTests
{
    private static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    [Fact]
    public async Task AStorePathThatIsASymlink_StaysALink_AndTheServersWritesReachItsTarget()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Symbolic links need a privilege there; the behaviour is the same.
        }

        using var folder = new TemporaryFolder();
        var target = Path.Combine(folder.Path, "shared", "accounts.csv");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllTextAsync(target, $"alice,{PasswordHasher.Hash(TestServer.Password, TestServer.TestIterations)}\n");
        var link = Path.Combine(folder.Path, "users.csv");
        File.CreateSymbolicLink(link, Path.Combine("shared", "accounts.csv"));
        await using var server = await TestServer.StartAsync(folder: folder);

        await server.LoginAsync("bob");
        var alice = await server.LoginAsync("alice");

        Assert.Equal(Path.Combine("shared", "accounts.csv"), new FileInfo(link).LinkTarget);
        Assert.StartsWith("bob,", (await File.ReadAllLinesAsync(target))[1]);
        Assert.Equal(2, CsvUserStore.Open(target).Count);
        Assert.Empty(Directory.EnumerateFiles(folder.Path, "*.tmp", SearchOption.AllDirectories));
        Assert.Equal("alice", alice.Session!.UserName);
    }

    [Fact]
    public async Task AStoreSavedWithAByteOrderMark_LogsInItsFirstAccount_AndKeepsTheMark()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        var lines = $"alice,{PasswordHasher.Hash(TestServer.Password, TestServer.TestIterations)}\r\nbob,{PasswordHasher.Hash(TestServer.Password, TestServer.TestIterations)}\r\n";
        await File.WriteAllBytesAsync(path, [.. ByteOrderMark, .. Encoding.UTF8.GetBytes(lines)]);
        await using var server = await TestServer.StartAsync(folder: folder);

        var alice = await server.LoginAsync("alice");
        await server.LoginAsync("carol");

        Assert.Equal("alice", alice.Session!.UserName);
        Assert.Empty(server.Store.Issues);
        Assert.Equal(ByteOrderMark, (await File.ReadAllBytesAsync(path))[..3]);
        Assert.Equal(3, CsvUserStore.Open(path).Count);
    }

    [Fact]
    public void AFirstLineRewritten_KeepsTheByteOrderMark()
    {
        var record = PasswordHasher.Hash(TestServer.Password, 10);
        var content = UserStoreContent.Parse("users.csv", [.. ByteOrderMark, .. Encoding.UTF8.GetBytes($"alice,{record}\n")], new UTF8Encoding(false, true));

        var rewritten = content.WithAccount(new UserRecord("alice", PasswordHasher.Hash(TestServer.Password, 20))).Serialize();

        Assert.Equal(ByteOrderMark, rewritten[..3]);
        Assert.StartsWith("alice,pbkdf2-sha256$20$", Encoding.UTF8.GetString(rewritten[3..]));
    }

    [Fact]
    public void AWorldReadableStore_IsMadeOwnerOnlyWhenOpened_NotAtTheFirstWrite_AndSaysSo()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        File.WriteAllText(path, $"alice,{PasswordHasher.Hash(TestServer.Password, 10)}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var store = CsvUserStore.Open(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Contains("mode 0644", Assert.Single(store.Notices));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task EscapeSequencesInTheStore_AreEscapedInTheIssueTheServerReports()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        await File.WriteAllTextAsync(path, $"\u001b]0;owned\u0007\u001b[2K\u202Eevil,{PasswordHasher.Hash(TestServer.Password, 10)}\n");
        await using var server = await TestServer.StartAsync(folder: folder);

        var issue = await server.WaitForEventAsync<UserStoreIssueEvent>();

        Assert.Equal(@"'\u001b]0;owned\u0007\u001b[2K\u202eevil' is not a valid user name", issue.Reason);
    }

    [Fact]
    public void AnOriginalUsersFile_WithAByteOrderMarkAndEscapes_ImportsTheFirstLine_AndQuotesTheBadName()
    {
        var entries = OriginalUserFile.Read([.. ByteOrderMark, .. Encoding.UTF8.GetBytes("root,root\n\u001b[31mred,pw\n")]);

        Assert.Equal("root", entries[0].UserName);
        Assert.True(entries[0].CanImport);
        Assert.Equal(@"'\u001b[31mred' breaks the user name rule (1 to 32 of A-Z a-z 0-9 . _ -)", entries[1].Problem);
    }

    [Fact]
    public async Task AnOriginalUsersFileImport_HashesEachPassword_AndLeavesANameTakenMeanwhile()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        var store = CsvUserStore.Open(path);
        var entries = OriginalUserFile.Read(Encoding.UTF8.GetBytes("alice,first secret\nbob,second secret\n"));
        var import = new OriginalUserImport(entries, TestServer.TestIterations);
        // Another writer (a running server's signup) takes bob's name after the file was read.
        await CsvUserStore.Open(path).TryAddAsync("bob", PasswordHasher.Hash("bob's own", TestServer.TestIterations));

        var results = await import.RunAsync(store);

        Assert.Equal([("alice", true), ("bob", false)], results.Select(r => (r.Entry.UserName!, r.Added)));
        Assert.Equal(2, import.Hashed);
        Assert.True(PasswordHasher.Verify("first secret", CsvUserStore.Open(path).Find("alice")!.HashRecord, out var iterations));
        Assert.Equal(TestServer.TestIterations, iterations);
        Assert.True(PasswordHasher.Verify("bob's own", CsvUserStore.Open(path).Find("bob")!.HashRecord, out _));
    }
}
