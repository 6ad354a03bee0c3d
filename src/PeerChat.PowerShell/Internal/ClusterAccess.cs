using System.Management.Automation;
using PeerChat.Core.Chat;

namespace PeerChat.PowerShell.Internal;

/// <summary>How the cmdlets that write into a cluster (Register-, Import-PeerChatUser -Cluster, Copy-PeerChatStore) reach its Redis, with stable ErrorIds.</summary>
internal static class ClusterAccess
{
    /// <summary>
    /// The endpoints of <paramref name="configuration"/> (what messages show of it), or a terminating
    /// InvalidClusterConfiguration error: StackExchange.Redis names the keyword it does not know, never the value.
    /// </summary>
    public static string Describe(PSCmdlet cmdlet, string configuration)
    {
        try
        {
            return MessageStores.DescribeCluster(configuration);
        }
        catch (ArgumentException ex)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-Cluster is not a StackExchange.Redis configuration string: {ex.Message}", ex), "InvalidClusterConfiguration", ErrorCategory.InvalidArgument, null));
            throw;
        }
    }

    /// <summary>The cluster's store, or a terminating ClusterUnavailable or ClusterDataUnusable error.</summary>
    public static IMessageStore Connect(PSCmdlet cmdlet, string configuration, string endpoints)
    {
        try
        {
            return MessageStores.OpenRedisForWriting(configuration);
        }
        catch (Exception ex) when (MessageStores.ToClusterErrorRecord(ex, endpoints) is { } error)
        {
            cmdlet.ThrowTerminatingError(error);
            throw;
        }
    }

    /// <summary>A failure to write into the cluster's Redis met mid-way, as ClusterUnavailable.</summary>
    public static ErrorRecord Unavailable(StoreUnavailableException exception, string endpoints) =>
        new(exception, "ClusterUnavailable", ErrorCategory.ResourceUnavailable, endpoints);
}
