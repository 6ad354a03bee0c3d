using System.Management.Automation;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Client;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Objects;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Creates an account on a server without staying connected, or with -Cluster straight in a
/// cluster's Redis (no node need run): the account then logs in on every node.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "PeerChatUser", SupportsShouldProcess = true, DefaultParameterSetName = ServerSet)]
[OutputType(typeof(PeerChatAccount))]
public sealed class RegisterPeerChatUserCommand : ServerConnectionCmdlet, IDisposable
{
    private const string ServerSet = "Server";
    private const string ClusterSet = "Cluster";

    private IMessageStore? _cluster;
    private IUserStore? _clusterUsers;
    private string _endpoints = "";

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [Credential]
    [ValidateNotNull]
    public PSCredential Credential { get; set; } = null!;

    /// <summary>Write an object describing the new account.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>A StackExchange.Redis configuration string: create the account in that cluster's Redis, as Start-PeerChatServer -Cluster takes it. Never shown.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ClusterSet)]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    /// <summary>With -Cluster: PBKDF2 iterations for the password; by default what most of the cluster's accounts use.</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateRange(1, PasswordHasher.MaxIterations)]
    public int HashIterations { get; set; }

    /// <summary>With -Cluster: the shortest password accepted, as the nodes' -MinPasswordLength (8 by default).</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateRange(1, PasswordRules.MaxLength)]
    public int MinPasswordLength { get; set; } = new ChatServerOptions().MinPasswordLength;

    protected override void BeginProcessing()
    {
        if (Cluster is null)
        {
            return;
        }

        // The connection parameters name a server; -Cluster names no server at all.
        var serverParameters = new[] { nameof(ComputerName), nameof(Port), nameof(UseTls), nameof(ServerCertificateThumbprint), nameof(SkipCertificateCheck) };
        if (serverParameters.FirstOrDefault(MyInvocation.BoundParameters.ContainsKey) is { } given)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-Cluster creates the account in the cluster's Redis; give it without -{given}."), "ConflictingClusterParameters", ErrorCategory.InvalidArgument, null));
        }

        _endpoints = ClusterAccess.Describe(this, Cluster);
    }

    protected override void ProcessRecord()
    {
        if (Cluster is not null)
        {
            RegisterInCluster();
            return;
        }

        var userName = Credential.UserName;
        if (!ShouldProcess($"{userName} on {ComputerName}:{Port}", "Create PeerChat account"))
        {
            return;
        }

        try
        {
            var client = Await(ChatClient.ConnectAsync(ComputerName, Port, ClientOptions(enableDirect: false, receivePresence: false), CancelToken));
            try
            {
                Await(client.SignUpAsync(userName, Credential.GetNetworkCredential().Password, CancelToken));
                Await(client.LogoutAsync(CancelToken));
            }
            finally
            {
                Await(client.DisposeAsync().AsTask());
            }
        }
        catch (ChatClientException ex)
        {
            WriteError(PeerChatErrors.From(ex, userName));
            return;
        }

        WriteVerbose($"Created the account '{userName}' on {ComputerName}:{Port}.");
        if (PassThru)
        {
            WriteObject(new PeerChatAccount(userName, ComputerName, Port));
        }
    }

    protected override void EndProcessing() => CloseCluster();

    /// <summary>Also after Ctrl+C or an error, when EndProcessing never comes.</summary>
    public void Dispose() => CloseCluster();

    /// <summary>The server's signup rules, then one atomic add: a name taken on any node (or meanwhile) is UserExists.</summary>
    private void RegisterInCluster()
    {
        var userName = Credential.UserName;
        if (!ShouldProcess($"{userName} in the cluster at {_endpoints}", "Create PeerChat account"))
        {
            return;
        }

        var password = Credential.GetNetworkCredential().Password;
        if (!PasswordRules.IsValidUserName(userName))
        {
            WriteError(new ErrorRecord(new ArgumentException($"'{userName}' is not a valid user name: 1 to 32 of A-Z a-z 0-9 . _ -"), "InvalidUserName", ErrorCategory.InvalidArgument, userName));
            return;
        }

        if (!PasswordRules.IsValidPassword(password, MinPasswordLength))
        {
            WriteError(new ErrorRecord(new ArgumentException($"A password is {MinPasswordLength} to {PasswordRules.MaxLength} characters."), "InvalidPassword", ErrorCategory.InvalidArgument, userName));
            return;
        }

        if (_cluster is null)
        {
            _cluster = ClusterAccess.Connect(this, Cluster!, _endpoints);
            _clusterUsers = MessageStores.ClusterUsers(_cluster);
        }

        try
        {
            var iterations = MyInvocation.BoundParameters.ContainsKey(nameof(HashIterations)) ? HashIterations : _clusterUsers!.TypicalIterations ?? PasswordHasher.DefaultIterations;
            var record = Await(Task.Run(() => PasswordHasher.Hash(password, iterations), CancelToken));
            if (!Await(_clusterUsers!.TryAddAsync(userName, record, CancelToken)))
            {
                WriteError(new ErrorRecord(new InvalidOperationException($"The user name '{userName}' is taken in the cluster at {_endpoints}."), "UserExists", ErrorCategory.ResourceExists, userName));
                return;
            }
        }
        catch (StoreUnavailableException ex)
        {
            WriteError(ClusterAccess.Unavailable(ex, _endpoints));
            return;
        }

        WriteVerbose($"Created the account '{userName}' in the cluster at {_endpoints}.");
        if (PassThru)
        {
            WriteObject(new PeerChatAccount(userName, _endpoints, 0));
        }
    }

    private void CloseCluster()
    {
        var cluster = Interlocked.Exchange(ref _cluster, null);
        cluster?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
