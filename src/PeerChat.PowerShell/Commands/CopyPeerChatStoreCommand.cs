using System.Management.Automation;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Moves a single server into a cluster: copies its users.csv (the hash records as they are, so
/// passwords stay as they were) and its messages.db (rooms and members, every conversation's
/// history with its ids and times, offline queues, read markers) into the cluster's Redis. The
/// server must be stopped (its store is refused while open). Safe to run again: what the cluster
/// holds already is left as it is.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "PeerChatStore", SupportsShouldProcess = true)]
[OutputType(typeof(PeerChatStoreCopyResult))]
public sealed class CopyPeerChatStoreCommand : PeerChatCmdlet
{
    /// <summary>A StackExchange.Redis configuration string, as Start-PeerChatServer -Cluster takes it. Never shown.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Cluster { get; set; } = string.Empty;

    /// <summary>The server's CSV user store.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string UserStorePath { get; set; } = CsvUserStore.DefaultPath;

    /// <summary>The server's SQLite message store; messages.db beside the user store by default, skipped with a warning when that does not exist.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MessageStorePath { get; set; }

    protected override void EndProcessing()
    {
        var endpoints = ClusterAccess.Describe(this, Cluster);
        var userStorePath = GetUnresolvedProviderPathFromPSPath(UserStorePath);
        if (!File.Exists(userStorePath))
        {
            ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"There is no user store at {userStorePath}.", userStorePath), "UserStoreNotFound", ErrorCategory.ObjectNotFound, userStorePath));
        }

        var messageStorePath = GetUnresolvedProviderPathFromPSPath(MessageStorePath ?? MessageStores.DefaultPath(userStorePath));
        if (!File.Exists(messageStorePath))
        {
            if (MessageStorePath is not null)
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"There is no message store at {messageStorePath}.", messageStorePath), "MessageStoreNotFound", ErrorCategory.ObjectNotFound, messageStorePath));
            }

            WriteWarning($"There is no message store at {messageStorePath}: only the accounts are copied.");
            messageStorePath = null;
        }

        CsvUserStore users;
        try
        {
            users = CsvUserStore.Open(userStorePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "UserStoreUnavailable", ErrorCategory.ResourceUnavailable, userStorePath));
            return;
        }

        var accounts = users.ListAccounts();
        var what = messageStorePath is null ? $"{accounts.Count} accounts of {userStorePath}" : $"{accounts.Count} accounts of {userStorePath} and the messages of {messageStorePath}";
        if (!ShouldProcess($"{what} into the cluster at {endpoints}", "Copy PeerChat store"))
        {
            return;
        }

        var source = messageStorePath is null ? null : OpenSource(messageStorePath);
        try
        {
            var cluster = ClusterAccess.Connect(this, Cluster, endpoints);
            try
            {
                WriteObject(Copy(accounts, source, cluster, endpoints));
            }
            catch (StoreUnavailableException ex)
            {
                WriteError(ClusterAccess.Unavailable(ex, endpoints));
            }
            finally
            {
                cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            source?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The server's SQLite store, or a terminating error (MessageStoreInUse while its server runs).</summary>
    private IMessageStore OpenSource(string path)
    {
        try
        {
            return MessageStores.OpenSqlite(path, new MessageStoreSettings());
        }
        catch (Exception ex) when (MessageStores.ToErrorRecord(ex, path) is { } error)
        {
            ThrowTerminatingError(error);
            throw;
        }
    }

    private PeerChatStoreCopyResult Copy(IReadOnlyList<UserRecord> accounts, IMessageStore? source, IMessageStore cluster, string endpoints)
    {
        var clusterUsers = MessageStores.ClusterUsers(cluster);
        var added = Await(MessageStores.AddToCluster(clusterUsers, accounts, CancelToken)).Select(r => r.UserName).ToHashSet(PasswordRules.UserNameComparer);
        var skipped = accounts.Select(a => a.UserName).Where(name => !added.Contains(name)).Order(StringComparer.OrdinalIgnoreCase).ToList();
        foreach (var name in skipped)
        {
            WriteWarning($"'{name}' has an account in the cluster at {endpoints} already; that one is kept.");
        }

        if (source is null)
        {
            return new PeerChatStoreCopyResult(endpoints, added.Count, skipped, null);
        }

        long copied = 0;
        var running = MessageStoreCopy.CopyAsync(source, cluster, accounts.Select(a => a.UserName).ToList(), count => Interlocked.Exchange(ref copied, count), CancelToken);
        var progress = new ProgressRecord(0x5046, "Copying PeerChat store", "Copying messages");
        while (!((IAsyncResult)running).AsyncWaitHandle.WaitOne(TimeSpan.FromMilliseconds(250)))
        {
            progress.StatusDescription = $"Copied {Interlocked.Read(ref copied)} messages";
            WriteProgress(progress);
        }

        var result = Await(running);
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        return new PeerChatStoreCopyResult(endpoints, added.Count, skipped, result);
    }
}
