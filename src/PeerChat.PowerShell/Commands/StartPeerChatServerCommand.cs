using System.Management.Automation;
using System.Net.Sockets;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using PeerChat.Core.Accounts;
using PeerChat.Core.Chat;
using PeerChat.Core.Server;
using PeerChat.Core;
using PeerChat.PowerShell.Internal;
using PeerChat.PowerShell.Jobs;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Starts a PeerChat server in the background and returns its job at once. A port in use fails at
/// once too: the job is Failed with the reason, and a PortInUse error says so. Every server setting
/// can come from a -Configuration file; the common ones are parameters too, which win over the
/// file. A setting given neither way keeps the default of <see cref="ChatServerOptions"/>: the
/// parameters declare no defaults of their own, so there is one place for them.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "PeerChatServer", SupportsShouldProcess = true)]
[OutputType(typeof(PeerChatServerJob))]
public sealed class StartPeerChatServerCommand : PeerChatCmdlet
{
    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>Also listen for IRC clients on this port (0 picks a free one, shown as the job's IrcPort); off unless given.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int IrcPort { get; set; }

    /// <summary>Also serve the chat page and WebSocket on this port (0 picks a free one, shown as the job's WebPort); off unless given.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int WebPort { get; set; }

    /// <summary>Origins whose pages may open a WebSocket on the web port besides the server's own page; * allows any.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? WebAllowedOrigin { get; set; }

    /// <summary>The address to listen on; by default every address, IPv4 and IPv6.</summary>
    [Parameter]
    [ValidateNotNull]
    public IPAddress? ListenAddress { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxClients { get; set; }

    /// <summary>Sessions one remote address (an IPv6 /64 counts as one) may hold logged in at once.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxSessionsPerAddress { get; set; }

    /// <summary>The last places of MaxClients kept for addresses with no connection waiting to log in; a tenth of MaxClients by default.</summary>
    [Parameter]
    [ValidateRange(0, 999_999)]
    public int? ReservedSlots { get; set; }

    /// <summary>A number is read as seconds.</summary>
    [Parameter]
    [Seconds]
    [ValidateMinimumTimeSpan(1)]
    public TimeSpan IdleTimeout { get; set; }

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinMessages { get; set; }

    /// <summary>A number is read as seconds.</summary>
    [Parameter]
    [Seconds]
    [ValidateMinimumTimeSpan(1)]
    public TimeSpan AuthTimeout { get; set; }

    [Parameter]
    [ValidateRange(4096, 16 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; }

    [Parameter]
    [ValidateRange(1, PasswordHasher.MaxIterations)]
    public int HashIterations { get; set; }

    /// <summary>The CSV user store; created (mode 0600) when missing.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserStorePath { get; set; }

    /// <summary>Speak TLS with this certificate (it must hold its private key).</summary>
    [Parameter]
    [ValidateNotNull]
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Speak TLS with the certificate in this PFX or PEM file (certificate and private key).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    /// <summary>The password of -CertificatePath's file.</summary>
    [Parameter]
    public System.Security.SecureString? CertificatePassword { get; set; }

    /// <summary>Speak TLS with an ECDSA certificate made at start; the job shows its SHA-256 fingerprint for clients to pin.</summary>
    [Parameter]
    public SwitchParameter SelfSignedCertificate { get; set; }

    /// <summary>Refuse new accounts (signup gets signup_disabled).</summary>
    [Parameter]
    public SwitchParameter DisableSignup { get; set; }

    /// <summary>New accounts one remote address may create in any minute; more get throttled.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int SignupsPerAddressPerMinute { get; set; }

    /// <summary>Events the job keeps until Receive-Job reads them; past it the oldest are dropped and counted.</summary>
    [Parameter]
    [ValidateRange(10, 10_000_000)]
    public int EventBufferSize { get; set; }

    /// <summary>Flood control by size: the bytes of frames one connection may send at once.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int FloodBytesBurst { get; set; }

    /// <summary>Flood control by size: the bytes a second that refill a connection's allowance.</summary>
    [Parameter]
    [ValidateRange(1d, double.MaxValue)]
    public double FloodBytesRate { get; set; }

    /// <summary>The queued bytes past which a client that falls behind loses its oldest broadcasts; half the 1 MiB queue bound by default.</summary>
    [Parameter]
    [ValidateRange(1L, 1024L * 1024)]
    public long? SendQueueSoftBytes { get; set; }

    /// <summary>A PowerShell data file (.psd1) of settings, as New-PeerChatServerConfiguration writes it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Configuration { get; set; }

    /// <summary>The SQLite file where conversations last (history, rooms, offline queues); messages.db beside the user store by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MessageStorePath { get; set; }

    /// <summary>Run memory-only, as a relay: no history, rooms or offline delivery.</summary>
    [Parameter]
    public SwitchParameter NoMessageStore { get; set; }

    /// <summary>Stored messages older than this are removed. A number is read as seconds.</summary>
    [Parameter]
    [Seconds]
    [ValidateMinimumTimeSpan(1)]
    public TimeSpan HistoryMaxAge { get; set; }

    /// <summary>Each conversation keeps at most this many messages, the newest.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int HistoryMaxPerConversation { get; set; }

    /// <summary>Messages queued for each offline user at most; past it the oldest are dropped and counted.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int OfflineQueueLimit { get; set; }

    /// <summary>The most the store file may grow to, in bytes (1GB works); past it senders get store_unavailable.</summary>
    [Parameter]
    [ValidateRange(64L * 1024, long.MaxValue)]
    public long MessageStoreMaxSize { get; set; }

    /// <summary>A StackExchange.Redis configuration string: the server joins that Redis's cluster and keeps its messages there (docs/CLUSTER.md). Never shown: the job and messages name only its endpoints.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Cluster { get; set; }

    /// <summary>This server's name in the cluster; the machine's name by default. Needs -Cluster.</summary>
    [Parameter]
    [ValidatePattern("^[A-Za-z0-9._-]{1,64}$")]
    public string? NodeName { get; set; }

    /// <summary>Lines of a channel's history the IRC gateway replays when a client without CHATHISTORY joins it; 0 turns it off.</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int IrcJoinReplay { get; set; }

    /// <summary>The job name; PeerChat-PORT by default, with the bound port.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void EndProcessing()
    {
        var file = ServerConfigurationFile.Read(this, Configuration);
        // The job's own settings, then the server's: a parameter given wins over the file.
        var storePath = GetUnresolvedProviderPathFromPSPath(Given(nameof(UserStorePath)) ? UserStorePath! : file.UserStorePath ?? CsvUserStore.DefaultPath);
        var name = Given(nameof(Name)) ? Name : file.Name;
        var eventBufferSize = Given(nameof(EventBufferSize)) ? EventBufferSize : file.EventBufferSize ?? PeerChatServerJob.DefaultEventBufferSize;
        var settings = new Dictionary<string, object?>(file.ServerSettings, StringComparer.OrdinalIgnoreCase);
        foreach (var (parameter, value) in MyInvocation.BoundParameters)
        {
            if (ServerSettings.Find(parameter) is not null)
            {
                settings[parameter] = value is PSObject wrapped ? wrapped.BaseObject : value;
            }
        }

        if (DisableSignup)
        {
            settings[nameof(ChatServerOptions.AllowSignup)] = false;
        }

        ChatServerOptions options;
        try
        {
            options = ServerSettings.Apply(new ChatServerOptions(), settings);
        }
        catch (ArgumentException ex)
        {
            // A value out of range that came from the file is told with the file's name.
            var fromFile = ex.ParamName is { } key && file.ServerSettings.ContainsKey(key) && !Given(key);
            var error = fromFile ? new ArgumentException($"{file.Path}: {ex.Message}", ex.ParamName, ex) : ex;
            ThrowTerminatingError(new ErrorRecord(error, "InvalidServerSetting", ErrorCategory.InvalidArgument, ex.ParamName));
            return;
        }

        var (messageStorePath, messageStoreSettings) = ReadMessageStoreSettings(file, storePath);
        var cluster = ReadCluster();
        if (cluster is not null)
        {
            messageStorePath = null;
        }

        var messages = cluster is not null ? $"messages in the cluster's Redis at {cluster.Endpoints}" : messageStorePath is null ? "no message store" : $"messages in {messageStorePath}";
        var users = cluster is not null ? "users in the cluster's Redis" : $"users in {storePath}";
        if (!ShouldProcess($"{new IPEndPoint(options.ListenAddress, options.Port)} with {users}, {messages}", "Start PeerChat server"))
        {
            return;
        }

        var certificate = LoadCertificate(file);
        options = options with { Certificate = certificate };
        IUserStore store;
        if (cluster is not null)
        {
            // Accounts, the login throttle and the signup budget live in the cluster's Redis too,
            // over the message store's connection: a user signs up once and may log in on any node.
            var clusterStore = OpenClusterStore(cluster, messageStoreSettings);
            store = MessageStores.ClusterUsers(clusterStore);
            options = options with { MessageStore = clusterStore, Backplane = MessageStores.OpenBackplane(clusterStore, cluster.NodeName) };
            options = options with { LoginLimits = MessageStores.ClusterLoginLimits(clusterStore, options) };
        }
        else
        {
            store = OpenUserStore(storePath);
        }

        if (messageStorePath is not null)
        {
            options = options with { MessageStore = OpenMessageStore(file, messageStorePath, messageStoreSettings) };
        }

        ChatServer server;
        try
        {
            server = new ChatServer(options, store);
        }
        catch
        {
            // The job that would close the store was never made.
            options.MessageStore?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }

        // The command line may hold the configuration string and its password: the job shows it without.
        var command = cluster is null ? MyInvocation.Line.Trim() : MessageStores.RedactCluster(MyInvocation.Line.Trim(), cluster.Configuration);
        var job = new PeerChatServerJob(server, command, name ?? $"PeerChat-{options.Port}", cluster is null ? storePath : null, eventBufferSize, messageStorePath)
        {
            Cluster = cluster?.Endpoints,
            NodeName = cluster?.NodeName,
        };
        PeerChatJobSourceAdapter.Register(job, this);
        try
        {
            job.StartJob();
            if (name is null && options.Port == 0)
            {
                // Named after the port the system picked, so that it can be told apart from others.
                job.Name = $"PeerChat-{job.Port}";
            }

            WriteVerbose($"PeerChat server listening on {job.Location}, {users}, {messages}.");
            if (job.IrcPort is { } ircPort)
            {
                WriteVerbose($"IRC gateway listening on port {ircPort}.");
            }

            if (job.WebPort is { } webPort)
            {
                WriteVerbose($"Web page and WebSocket listening on port {webPort}.");
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            WriteError(new ErrorRecord(
                new IOException(options.IrcPort is not null || options.WebPort is not null
                    ? $"Port {options.Port}{(options.IrcPort is { } ircPort ? $", IRC port {ircPort}" : "")}{(options.WebPort is { } webPort ? $", web port {webPort}" : "")} on {options.ListenAddress}: one is already in use; pick others, or 0 for free ones."
                    : $"Port {options.Port} on {options.ListenAddress} is already in use; pick another -Port, or -Port 0 for a free one.", ex),
                "PortInUse",
                ErrorCategory.ResourceUnavailable,
                options.Port));
        }
        catch (NodeNameInUseException ex)
        {
            WriteError(new ErrorRecord(ex, "NodeNameInUse", ErrorCategory.ResourceExists, ex.NodeName));
        }
        catch (Exception ex)
        {
            WriteError(new ErrorRecord(ex, "ServerStartFailed", ErrorCategory.OpenError, job));
        }

        WriteObject(job);
    }

    private bool Given(string parameter) => MyInvocation.BoundParameters.ContainsKey(parameter);

    /// <summary>The CSV user store, its notices written as warnings, or a terminating UserStoreUnavailable error.</summary>
    private CsvUserStore OpenUserStore(string storePath)
    {
        CsvUserStore store;
        try
        {
            store = CsvUserStore.Open(storePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "UserStoreUnavailable", ErrorCategory.ResourceUnavailable, storePath));
            throw;
        }

        foreach (var notice in store.Notices)
        {
            WriteWarning(notice);
        }

        return store;
    }

    /// <summary>Where the message store is (null for none) and its settings: the parameters given, then the file's, then the defaults.</summary>
    private (string? Path, MessageStoreSettings Settings) ReadMessageStoreSettings(ServerConfigurationFile file, string userStorePath)
    {
        var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (parameter, value) in MyInvocation.BoundParameters)
        {
            if (ServerSettings.FindStore(parameter) is not null)
            {
                parameters[parameter] = value is PSObject wrapped ? wrapped.BaseObject : value;
            }
        }

        if (Given(nameof(MessageStoreMaxSize)))
        {
            parameters[nameof(MessageStoreSettings.MaxSizeBytes)] = MessageStoreMaxSize;
        }

        if (NoMessageStore && (Given(nameof(MessageStorePath)) || parameters.Count > 0))
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("-NoMessageStore runs the server without a message store; give it without -MessageStorePath, -HistoryMaxAge, -HistoryMaxPerConversation, -OfflineQueueLimit and -MessageStoreMaxSize."),
                "ConflictingMessageStoreParameters",
                ErrorCategory.InvalidArgument,
                null));
        }

        // A parameter given wins over the file, either way.
        var noStore = Given(nameof(NoMessageStore)) ? NoMessageStore.IsPresent : file.NoMessageStore && !Given(nameof(MessageStorePath));
        if (noStore)
        {
            return (null, new MessageStoreSettings());
        }

        var path = GetUnresolvedProviderPathFromPSPath(Given(nameof(MessageStorePath)) ? MessageStorePath! : file.MessageStorePath ?? MessageStores.DefaultPath(userStorePath));
        var values = new Dictionary<string, object?>(file.StoreSettings, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in parameters)
        {
            values[key] = value;
        }

        // The file's values were converted as it was read; the parameters' are typed already.
        return (path, ServerSettings.ApplyStore(new MessageStoreSettings(), values));
    }

    /// <summary>The store at <paramref name="path"/>, or a terminating error with a stable ErrorId saying why not.</summary>
    private IMessageStore OpenMessageStore(ServerConfigurationFile file, string path, MessageStoreSettings settings)
    {
        try
        {
            return MessageStores.OpenSqlite(path, settings);
        }
        catch (ArgumentException ex) when (ex.ParamName != "path")
        {
            // A value out of range, told with the file's name when it came from the file.
            var key = ex.ParamName is { } name && ServerSettings.FindStore(name) is not null ? name : null;
            var fromFile = key is not null && file.StoreSettings.ContainsKey(key) && !Given(key);
            var error = fromFile ? new ArgumentException($"{file.Path}: {ex.Message}", key, ex) : ex;
            ThrowTerminatingError(new ErrorRecord(error, "InvalidServerSetting", ErrorCategory.InvalidArgument, ex.ParamName));
            throw;
        }
        catch (Exception ex) when (MessageStores.ToErrorRecord(ex, path) is { } error)
        {
            ThrowTerminatingError(error);
            throw;
        }
    }

    /// <summary>-Cluster and -NodeName checked, or null without -Cluster; the SQLite store's own parameters conflict with it, retention's apply to Redis.</summary>
    private ClusterSettings? ReadCluster()
    {
        if (Cluster is null)
        {
            if (NodeName is not null)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("-NodeName names this server in a cluster; give it with -Cluster."), "NodeNameWithoutCluster", ErrorCategory.InvalidArgument, NodeName));
            }

            return null;
        }

        if (Given(nameof(UserStorePath)))
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("-Cluster keeps the accounts in the cluster's Redis; give it without -UserStorePath (Copy-PeerChatStore moves a server's users.csv into the cluster)."),
                "ConflictingUserStoreParameters",
                ErrorCategory.InvalidArgument,
                null));
        }

        if (NoMessageStore || Given(nameof(MessageStorePath)) || Given(nameof(MessageStoreMaxSize)))
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("-Cluster keeps the messages in the cluster's Redis; give it without -MessageStorePath, -NoMessageStore and -MessageStoreMaxSize."),
                "ConflictingMessageStoreParameters",
                ErrorCategory.InvalidArgument,
                null));
        }

        try
        {
            return new ClusterSettings(Cluster, MessageStores.DescribeCluster(Cluster), NodeName ?? Environment.MachineName);
        }
        catch (ArgumentException ex)
        {
            // StackExchange.Redis names the keyword it does not know, never the value.
            ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-Cluster is not a StackExchange.Redis configuration string: {ex.Message}", ex), "InvalidClusterConfiguration", ErrorCategory.InvalidArgument, null));
            throw;
        }
    }

    /// <summary>The Redis message store of the cluster, or a terminating error with a stable ErrorId saying why not.</summary>
    private IMessageStore OpenClusterStore(ClusterSettings cluster, MessageStoreSettings settings)
    {
        try
        {
            return MessageStores.OpenRedis(cluster.Configuration, settings);
        }
        catch (Exception ex) when (MessageStores.ToClusterErrorRecord(ex, cluster.Endpoints) is { } error)
        {
            ThrowTerminatingError(error);
            throw;
        }
    }

    private sealed record ClusterSettings(string Configuration, string Endpoints, string NodeName);

    /// <summary>The certificate of one of the three TLS parameters, or null for plain TCP.</summary>
    private X509Certificate2? LoadCertificate(ServerConfigurationFile file)
    {
        // The file's choice applies only when no TLS parameter is given.
        if (Certificate is null && CertificatePath is null && !SelfSignedCertificate)
        {
            CertificatePath = file.CertificatePath;
            SelfSignedCertificate = file.SelfSignedCertificate;
        }

        var given = (Certificate is null ? 0 : 1) + (CertificatePath is null ? 0 : 1) + (SelfSignedCertificate ? 1 : 0);
        if (given > 1)
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("Give one of -Certificate, -CertificatePath and -SelfSignedCertificate."), "ConflictingCertificateParameters", ErrorCategory.InvalidArgument, null));
        }

        if (SelfSignedCertificate)
        {
            return Core.Security.Certificates.CreateSelfSigned(Environment.MachineName);
        }

        if (CertificatePath is not null)
        {
            var path = GetUnresolvedProviderPathFromPSPath(CertificatePath);
            try
            {
                var password = CertificatePassword is null ? null : new NetworkCredential(string.Empty, CertificatePassword).Password;
                return Core.Security.Certificates.Load(path, password);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "CertificateUnreadable", ErrorCategory.ReadError, path));
            }
        }

        if (Certificate is { HasPrivateKey: false })
        {
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Certificate has no private key; a server needs one."), "CertificateWithoutPrivateKey", ErrorCategory.InvalidArgument, Certificate));
        }

        return Certificate;
    }
}
