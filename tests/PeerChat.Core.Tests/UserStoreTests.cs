using System.Text;
using PeerChat.Core.Accounts;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

[Trait("Category", "Unit")]
public sealed class UserStoreTests
{
    [Fact]
    public void Open_CreatesTheFolderAndAnOwnerOnlyFile()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "nested", "users.csv");

        CsvUserStore.Open(path);

        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task MalformedLines_AreReportedSkippedAndKeptWhenTheFileIsWritten()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        var good = PasswordHasher.Hash(TestServer.Password, 10);
        byte[] notUtf8 = [0x62, 0x61, 0x64, 0xFF, 0x2C, 0x78];
        var original = Encoding.UTF8.GetBytes($"alice,{good}\nno comma here\nhas space,{good}\nbob,plaintext\n")
            .Concat(notUtf8).Concat("\nALICE,"u8.ToArray()).Concat(Encoding.UTF8.GetBytes(good + "\n")).ToArray();
        await File.WriteAllBytesAsync(path, original);

        var store = CsvUserStore.Open(path);
        await store.TryAddAsync("carol", good);
        var written = await File.ReadAllBytesAsync(path);

        Assert.Equal([2, 3, 4, 5, 6], store.Issues.Select(i => i.LineNumber));
        Assert.Contains("comma", store.Issues[0].Reason);
        Assert.Contains("UTF-8", store.Issues[3].Reason);
        Assert.Contains("duplicate", store.Issues[4].Reason);
        Assert.Equal(2, store.Count);
        Assert.Equal([.. original, .. Encoding.UTF8.GetBytes($"carol,{good}\n")], written);
    }

    [Fact]
    public async Task ParallelAdds_FromTwoStoreInstancesOnOneFile_LoseNothing()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        var first = CsvUserStore.Open(path);
        var second = CsvUserStore.Open(path);
        var record = PasswordHasher.Hash(TestServer.Password, 10);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? first : second).TryAddAsync($"u{i}", record)));

        Assert.Equal(40, CsvUserStore.Open(path).Count);
    }

    [Fact]
    public void PasswordHasher_RecordsAreSaltedSelfDescribingAndVerify()
    {
        var a = PasswordHasher.Hash("pässwörd", 1000);
        var b = PasswordHasher.Hash("pässwörd", 1000);

        Assert.NotEqual(a, b);
        Assert.Matches(@"^pbkdf2-sha256\$1000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$", a);
        Assert.True(PasswordHasher.Verify("pässwörd", a, out var iterations));
        Assert.Equal(1000, iterations);
        Assert.False(PasswordHasher.Verify("passwörd", a, out _));
        Assert.False(PasswordHasher.Verify("pässwörd", "pbkdf2-sha256$x$y$z", out _));
    }

    [Fact]
    public void PasswordHasher_DefaultIterationCount_IsSixHundredThousand()
    {
        var record = PasswordHasher.Hash("one real-cost hash", PasswordHasher.DefaultIterations);

        Assert.True(PasswordHasher.TryParse(record, out var iterations, out _, out _));
        Assert.Equal(600_000, iterations);
        Assert.True(PasswordHasher.Verify("one real-cost hash", record, out _));
    }
}
