using PeerChat.Core.Accounts;
using PeerChat.Core.Client;
using PeerChat.Core.Protocol;
using PeerChat.Core.Server;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// The iteration count of a stored record decides what checking a password costs: the store must
/// not ask for ruinous counts, and an unknown name must cost what a typical account costs.
/// </summary>
public sealed class StoredIterationsTests
{
    [Fact]
    public async Task ARecordAskingForTwoBillionIterations_IsRefusedAtLoad_AndALoginForItCostsNoMoreThanAnyOther()
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        var normal = PasswordHasher.Hash(TestServer.Password, TestServer.TestIterations);
        var huge = normal.Replace($"${TestServer.TestIterations}$", "$2000000000$", StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, $"bob,{normal}\nmallory,{huge}\n");
        await using var server = await TestServer.StartAsync(folder: folder);

        var issue = await server.WaitForEventAsync<UserStoreIssueEvent>();
        // Both hashing slots would be held for minutes by two such logins on the old code; the
        // answer must come as fast as for any unknown name.
        var client = await server.ConnectAsync();
        var refusal = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("mallory", TestServer.Password).WaitAsync(TestServer.Patience));

        Assert.Equal(2, issue.LineNumber);
        Assert.Contains("2000000000 iterations", issue.Reason);
        Assert.Null(server.Store.Find("mallory"));
        Assert.Equal(ErrorCodes.InvalidCredentials, refusal.Code);
        Assert.Contains($"mallory,{huge}", await File.ReadAllTextAsync(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(PasswordHasher.MaxIterations + 1)]
    public void TheStore_RefusesRecordsOutsideOneToMaxIterations(long iterations)
    {
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        var record = PasswordHasher.Hash(TestServer.Password, 10).Replace("$10$", $"${iterations}$", StringComparison.Ordinal);
        File.WriteAllText(path, $"eve,{record}\n");

        var store = CsvUserStore.Open(path);

        Assert.Equal(0, store.Count);
        Assert.Contains($"{iterations} iterations", Assert.Single(store.Issues).Reason);
    }

    [Fact]
    public async Task AnUnknownName_CostsWhatTheStoresTypicalRecordCosts_NotJustTheSetting()
    {
        // Accounts imported with 600,000 iterations onto a server set to 1,000: a wrong password for
        // them took 118 ms, an unknown name 1.3 ms. Asserted on the work chosen, not on the time.
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "users.csv");
        const int Imported = 3 * TestServer.TestIterations;
        var lines = new[] { "ann", "ben", "cid" }.Select(name => $"{name},{PasswordHasher.Hash(TestServer.Password, Imported)}")
            .Append($"dan,{PasswordHasher.Hash(TestServer.Password, TestServer.TestIterations)}");
        await File.WriteAllLinesAsync(path, lines);
        await using var server = await TestServer.StartAsync(folder: folder);
        var client = await server.ConnectAsync();

        var chosen = server.Server.Accounts.DummyIterations;
        var unknown = await Assert.ThrowsAsync<ChatClientException>(() => client.LoginAsync("nobody", TestServer.Password));
        foreach (var name in new[] { "eve", "fay", "gus" })
        {
            // New accounts use the setting; once most do, so does an unknown name.
            await client.SignUpAsync(name, TestServer.Password);
        }

        Assert.Equal(Imported, chosen);
        Assert.Equal(ErrorCodes.InvalidCredentials, unknown.Code);
        Assert.Equal(TestServer.TestIterations, server.Server.Accounts.DummyIterations);
    }

    [Fact]
    public async Task AnEmptyStore_SpendsTheSetting()
    {
        await using var server = await TestServer.StartAsync();

        Assert.Equal(TestServer.TestIterations, server.Server.Accounts.DummyIterations);
        await server.LoginAsync("alice");
        Assert.Equal(TestServer.TestIterations, server.Server.Accounts.DummyIterations);
    }
}
