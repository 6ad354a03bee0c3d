using PeerChat.Core.Accounts;
using PeerChat.Core.Tests.Support;

namespace PeerChat.Core.Tests;

/// <summary>
/// The store under lookups that never stop. The lookups spin on threads of their own, not the
/// thread pool, and the class runs alone: spinners on the pool starved every test beside it.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class UserStoreContentionTests
{
    [Fact]
    public async Task AnAccountJustAdded_IsFoundAtOnce_EvenWhileOtherLookupsReloadTheFile()
    {
        using var folder = new TemporaryFolder();
        var store = CsvUserStore.Open(Path.Combine(folder.Path, "users.csv"));
        var record = PasswordHasher.Hash(TestServer.Password, 10);
        using var stop = new CancellationTokenSource();

        // Lookups that keep noticing the file change under them, as logins do during signups.
        void LookUpUntilStopped()
        {
            while (!stop.IsCancellationRequested)
            {
                store.Find("nobody");
            }
        }

        var lookups = Enumerable.Range(0, 2).Select(_ => new Thread(LookUpUntilStopped) { IsBackground = true }).ToList();
        lookups.ForEach(t => t.Start());

        var lost = new List<string>();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancellationToken) =>
            {
                await store.TryAddAsync($"u{i}", record, cancellationToken);
                if (store.Find($"u{i}") is null)
                {
                    lock (lost)
                    {
                        lost.Add($"u{i}");
                    }
                }
            });
        }
        finally
        {
            await stop.CancelAsync();
            Assert.All(lookups, t => Assert.True(t.Join(TestServer.Patience), "a lookup thread did not stop"));
        }

        Assert.Empty(lost);
        Assert.Equal(200, store.Count);
        Assert.Equal(200, CsvUserStore.Open(store.Path).Count);
    }
}
