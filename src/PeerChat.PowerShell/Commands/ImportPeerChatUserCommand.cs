using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Imports the original program's users.csv (<c>name,password</c> in plain text) into a PeerChat
/// user store, or with -Cluster into a cluster's Redis, as salted, slow hashes. Lines it cannot
/// import are reported and skipped.
/// </summary>
[Cmdlet(VerbsData.Import, "PeerChatUser", SupportsShouldProcess = true, DefaultParameterSetName = UserStoreSet)]
[OutputType(typeof(PeerChatImportResult))]
public sealed class ImportPeerChatUserCommand : PeerChatCmdlet
{
    private const string UserStoreSet = "UserStore";
    private const string ClusterSet = "Cluster";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(ParameterSetName = UserStoreSet)]
    [ValidateNotNullOrEmpty]
    public string UserStorePath { get; set; } = CsvUserStore.DefaultPath;

    /// <summary>A StackExchange.Redis configuration string: import into that cluster's Redis, as Start-PeerChatServer -Cluster takes it. Never shown.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ClusterSet)]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    /// <summary>
    /// By default the count the store's accounts already use (a server rehashes its accounts to its
    /// own setting at login), or the server's default for an empty store: an imported account whose
    /// count differs from the others answers a wrong password in a different time than an unknown
    /// name does, which tells an attacker the name exists.
    /// </summary>
    [Parameter]
    [ValidateRange(1, PasswordHasher.MaxIterations)]
    public int HashIterations { get; set; } = PasswordHasher.DefaultIterations;

    /// <summary>Where the accounts go: the store, how messages name it, and how many are added at once.</summary>
    private sealed record Target(IUserStore Store, string Where, Func<IReadOnlyList<UserRecord>, CancellationToken, Task<IReadOnlyList<UserRecord>>> AddMany, IAsyncDisposable? Connection);

    protected override void ProcessRecord()
    {
        var source = GetUnresolvedProviderPathFromPSPath(Path);
        IReadOnlyList<OriginalUserFile.Entry> entries;
        try
        {
            entries = OriginalUserFile.Read(File.ReadAllBytes(source));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(ex, "ImportFileUnreadable", ErrorCategory.ReadError, source));
            return;
        }

        if (OpenTarget() is not { } target)
        {
            return;
        }

        try
        {
            Import(source, entries, target);
        }
        catch (StoreUnavailableException ex)
        {
            WriteError(ClusterAccess.Unavailable(ex, target.Where));
        }
        finally
        {
            target.Connection?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The CSV store, or the cluster's accounts; null after an error.</summary>
    private Target? OpenTarget()
    {
        if (Cluster is not null)
        {
            var endpoints = ClusterAccess.Describe(this, Cluster);
            var cluster = ClusterAccess.Connect(this, Cluster, endpoints);
            var users = MessageStores.ClusterUsers(cluster);
            return new Target(users, $"the cluster at {endpoints}", (records, token) => MessageStores.AddToCluster(users, records, token), cluster);
        }

        var storePath = GetUnresolvedProviderPathFromPSPath(UserStorePath);
        CsvUserStore store;
        try
        {
            store = CsvUserStore.Open(storePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(ex, "ImportFileUnreadable", ErrorCategory.ReadError, storePath));
            return null;
        }

        foreach (var notice in store.Notices)
        {
            WriteWarning(notice);
        }

        return new Target(store, storePath, store.TryAddManyAsync, null);
    }

    private void Import(string source, IReadOnlyList<OriginalUserFile.Entry> entries, Target target)
    {
        var iterations = ChooseIterations(target);
        var results = new List<PeerChatImportResult>();
        var toImport = new List<OriginalUserFile.Entry>();
        foreach (var entry in entries)
        {
            var problem = entry.Problem ?? (target.Store.Find(entry.UserName!) is null ? null : $"'{entry.UserName}' already has an account in {target.Where}");
            if (problem is not null)
            {
                WriteWarning($"{source}, line {entry.LineNumber}: {problem}; skipped.");
                results.Add(new PeerChatImportResult(entry.LineNumber, entry.UserName, PeerChatImportStatus.Skipped, problem));
            }
            else if (ShouldProcess($"{entry.UserName} into {target.Where}", "Import PeerChat account"))
            {
                toImport.Add(entry);
            }
            else
            {
                results.Add(new PeerChatImportResult(entry.LineNumber, entry.UserName, PeerChatImportStatus.WouldImport, null));
            }
        }

        foreach (var (entry, added) in Hash(target, toImport, iterations))
        {
            results.Add(new PeerChatImportResult(entry.LineNumber, entry.UserName, added ? PeerChatImportStatus.Imported : PeerChatImportStatus.Skipped, added ? null : "the name was taken meanwhile"));
        }

        WriteObject(results.OrderBy(r => r.LineNumber), enumerateCollection: true);
    }

    /// <summary>The store's typical count unless -HashIterations is given; a different one is worth a warning.</summary>
    private int ChooseIterations(Target target)
    {
        var typical = target.Store.TypicalIterations;
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(HashIterations)))
        {
            return typical ?? PasswordHasher.DefaultIterations;
        }

        if (typical is { } used && used != HashIterations)
        {
            WriteWarning($"Most accounts in {target.Where} use {used} iterations; with {HashIterations}, the time a wrong password takes tells the imported names from unknown ones.");
        }

        return HashIterations;
    }

    /// <summary>Hashes and adds the accounts in the core, showing how many passwords are hashed meanwhile.</summary>
    private IReadOnlyList<(OriginalUserFile.Entry Entry, bool Added)> Hash(Target target, List<OriginalUserFile.Entry> entries, int iterations)
    {
        if (entries.Count == 0)
        {
            return [];
        }

        var import = new OriginalUserImport(entries, iterations);
        var running = import.RunAsync(target.AddMany, CancelToken);
        var progress = new ProgressRecord(0x5045, "Importing PeerChat accounts", "Hashing passwords");
        while (!((IAsyncResult)running).AsyncWaitHandle.WaitOne(TimeSpan.FromMilliseconds(250)))
        {
            var hashed = import.Hashed;
            progress.PercentComplete = 100 * hashed / import.Count;
            progress.StatusDescription = $"Hashed {hashed} of {import.Count}";
            WriteProgress(progress);
        }

        var results = Await(running);
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        return results;
    }
}
