using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using PeerChat.Core;
using PeerChat.Core.Accounts;
using PeerChat.Core.Server;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Starts a PeerChat server in the background and returns its job at once. A port in use fails at
/// once too: the job is Failed with the reason, and a PortInUse error says so.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "PeerChatServer", SupportsShouldProcess = true)]
[OutputType(typeof(PeerChatServerJob))]
public sealed class StartPeerChatServerCommand : PeerChatCmdlet
{
    [Parameter(Position = 0)]
    [ValidateRange(0, 65535)]
    public int Port { get; set; } = ChatServerOptions.DefaultPort;

    /// <summary>The address to listen on; by default every address, IPv4 and IPv6.</summary>
    [Parameter]
    [ValidateNotNull]
    public IPAddress ListenAddress { get; set; } = IPAddress.IPv6Any;

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxClients { get; set; } = 50;

    /// <summary>Sessions one remote address (an IPv6 /64 counts as one) may hold logged in at once.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int MaxSessionsPerAddress { get; set; } = 20;

    /// <summary>The last places of MaxClients kept for addresses with no connection waiting to log in; a tenth of MaxClients by default.</summary>
    [Parameter]
    [ValidateRange(0, 999_999)]
    public int? ReservedSlots { get; set; }

    /// <summary>A number is read as seconds.</summary>
    [Parameter]
    [Seconds]
    [ValidateMinimumTimeSpan(1)]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MinMessages { get; set; } = 2;

    /// <summary>A number is read as seconds.</summary>
    [Parameter]
    [Seconds]
    [ValidateMinimumTimeSpan(1)]
    public TimeSpan AuthTimeout { get; set; } = TimeSpan.FromSeconds(10);

    [Parameter]
    [ValidateRange(4096, 16 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 65536;

    [Parameter]
    [ValidateRange(1, PasswordHasher.MaxIterations)]
    public int HashIterations { get; set; } = PasswordHasher.DefaultIterations;

    /// <summary>The CSV user store; created (mode 0600) when missing.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string UserStorePath { get; set; } = CsvUserStore.DefaultPath;

    /// <summary>Speak TLS with this certificate (it must hold its private key).</summary>
    [Parameter]
    [ValidateNotNull]
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; set; }

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
    public int SignupsPerAddressPerMinute { get; set; } = 10;

    /// <summary>Events the job keeps until Receive-Job reads them; past it the oldest are dropped and counted.</summary>
    [Parameter]
    [ValidateRange(10, 10_000_000)]
    public int EventBufferSize { get; set; } = PeerChatServerJob.DefaultEventBufferSize;

    /// <summary>Flood control by size: the bytes of frames one connection may send at once.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int FloodBytesBurst { get; set; } = 256 * 1024;

    /// <summary>Flood control by size: the bytes a second that refill a connection's allowance.</summary>
    [Parameter]
    [ValidateRange(1d, double.MaxValue)]
    public double FloodBytesRate { get; set; } = 64 * 1024;

    /// <summary>The queued bytes past which a client that falls behind loses its oldest broadcasts; half the 1 MiB queue bound by default.</summary>
    [Parameter]
    [ValidateRange(1L, 1024L * 1024)]
    public long? SendQueueSoftBytes { get; set; }

    /// <summary>The job name; PeerChat-PORT by default, with the bound port.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void EndProcessing()
    {
        var storePath = GetUnresolvedProviderPathFromPSPath(UserStorePath);
        if (!ShouldProcess($"{ListenAddress}:{Port} with users in {storePath}", "Start PeerChat server"))
        {
            return;
        }

        ChatServerOptions options;
        CsvUserStore store;
        var certificate = LoadCertificate();
        try
        {
            options = new ChatServerOptions
            {
                Port = Port,
                ListenAddress = ListenAddress,
                MaxClients = MaxClients,
                MaxSessionsPerAddress = MaxSessionsPerAddress,
                ReservedSlots = ReservedSlots,
                IdleTimeout = IdleTimeout,
                MinMessages = MinMessages,
                AuthTimeout = AuthTimeout,
                MaxFrameBytes = MaxFrameBytes,
                HashIterations = HashIterations,
                AllowSignup = !DisableSignup,
                SignupsPerAddressPerMinute = SignupsPerAddressPerMinute,
                FloodBytesBurst = FloodBytesBurst,
                FloodBytesRate = FloodBytesRate,
                SendQueueSoftBytes = SendQueueSoftBytes,
                Certificate = certificate,
            };
            options.Validate();
            store = CsvUserStore.Open(storePath);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "InvalidServerSetting", ErrorCategory.InvalidArgument, null));
            return;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "UserStoreUnavailable", ErrorCategory.ResourceUnavailable, storePath));
            return;
        }

        foreach (var notice in store.Notices)
        {
            WriteWarning(notice);
        }

        var server = new ChatServer(options, store);
        var job = new PeerChatServerJob(server, MyInvocation.Line.Trim(), Name ?? $"PeerChat-{Port}", storePath, EventBufferSize);
        PeerChatJobSourceAdapter.Register(job, this);
        try
        {
            job.StartJob();
            if (Name is null && Port == 0)
            {
                // Named after the port the system picked, so that it can be told apart from others.
                job.Name = $"PeerChat-{job.Port}";
            }

            WriteVerbose($"PeerChat server listening on {job.Location}, users in {storePath}.");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            WriteError(new ErrorRecord(
                new IOException($"Port {Port} on {ListenAddress} is already in use; pick another -Port, or -Port 0 for a free one.", ex),
                "PortInUse",
                ErrorCategory.ResourceUnavailable,
                Port));
        }
        catch (Exception ex)
        {
            WriteError(new ErrorRecord(ex, "ServerStartFailed", ErrorCategory.OpenError, job));
        }

        WriteObject(job);
    }

    /// <summary>The certificate of one of the three TLS parameters, or null for plain TCP.</summary>
    private System.Security.Cryptography.X509Certificates.X509Certificate2? LoadCertificate()
    {
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
                var password = CertificatePassword is null ? null : new System.Net.NetworkCredential(string.Empty, CertificatePassword).Password;
                return Core.Security.Certificates.Load(path, password);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
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
