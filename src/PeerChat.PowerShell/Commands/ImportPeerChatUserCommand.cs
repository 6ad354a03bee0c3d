using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Imports the original program's users.csv (<c>name,password</c> in plain text) into a PeerChat
/// user store as salted, slow hashes. Lines it cannot import are reported and skipped.
/// </summary>
[Cmdlet(VerbsData.Import, "PeerChatUser", SupportsShouldProcess = true)]
[OutputType(typeof(PeerChatImportResult))]
public sealed class ImportPeerChatUserCommand : PeerChatCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string UserStorePath { get; set; } = CsvUserStore.DefaultPath;

    /// <summary>
    /// By default the count the store's accounts already use (a server rehashes its accounts to its
    /// own setting at login), or the server's default for an empty store: an imported account whose
    /// count differs from the others answers a wrong password in a different time than an unknown
    /// name does, which tells an attacker the name exists.
    /// </summary>
    [Parameter]
    [ValidateRange(1, PasswordHasher.MaxIterations)]
    public int HashIterations { get; set; } = PasswordHasher.DefaultIterations;

    protected override void ProcessRecord()
    {
        var source = GetUnresolvedProviderPathFromPSPath(Path);
        var storePath = GetUnresolvedProviderPathFromPSPath(UserStorePath);
        IReadOnlyList<OriginalUserFile.Entry> entries;
        CsvUserStore store;
        try
        {
            entries = OriginalUserFile.Read(File.ReadAllBytes(source));
            store = CsvUserStore.Open(storePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(new ErrorRecord(ex, "ImportFileUnreadable", ErrorCategory.ReadError, source));
            return;
        }

        foreach (var notice in store.Notices)
        {
            WriteWarning(notice);
        }

        var iterations = ChooseIterations(store);
        var results = new List<PeerChatImportResult>();
        var toImport = new List<OriginalUserFile.Entry>();
        foreach (var entry in entries)
        {
            var problem = entry.Problem ?? (store.Find(entry.UserName!) is null ? null : $"'{entry.UserName}' already has an account in {storePath}");
            if (problem is not null)
            {
                WriteWarning($"{source}, line {entry.LineNumber}: {problem}; skipped.");
                results.Add(new PeerChatImportResult(entry.LineNumber, entry.UserName, PeerChatImportStatus.Skipped, problem));
            }
            else if (ShouldProcess($"{entry.UserName} into {storePath}", "Import PeerChat account"))
            {
                toImport.Add(entry);
            }
            else
            {
                results.Add(new PeerChatImportResult(entry.LineNumber, entry.UserName, PeerChatImportStatus.WouldImport, null));
            }
        }

        foreach (var (entry, added) in Import(store, toImport, iterations))
        {
            results.Add(new PeerChatImportResult(entry.LineNumber, entry.UserName, added ? PeerChatImportStatus.Imported : PeerChatImportStatus.Skipped, added ? null : "the name was taken meanwhile"));
        }

        WriteObject(results.OrderBy(r => r.LineNumber), enumerateCollection: true);
    }

    /// <summary>The store's typical count unless -HashIterations is given; a different one is worth a warning.</summary>
    private int ChooseIterations(CsvUserStore store)
    {
        var typical = store.TypicalIterations;
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(HashIterations)))
        {
            return typical ?? PasswordHasher.DefaultIterations;
        }

        if (typical is { } used && used != HashIterations)
        {
            WriteWarning($"Most accounts in {store.Path} use {used} iterations; with {HashIterations}, the time a wrong password takes tells the imported names from unknown ones.");
        }

        return HashIterations;
    }

    /// <summary>Hashes and adds the accounts in the core, showing how many passwords are hashed meanwhile.</summary>
    private IReadOnlyList<(OriginalUserFile.Entry Entry, bool Added)> Import(CsvUserStore store, List<OriginalUserFile.Entry> entries, int iterations)
    {
        if (entries.Count == 0)
        {
            return [];
        }

        var import = new OriginalUserImport(entries, iterations);
        var running = import.RunAsync(store, CancelToken);
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
