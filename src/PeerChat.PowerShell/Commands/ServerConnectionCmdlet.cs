using System.Management.Automation;
using PeerChat.Core;
using PeerChat.Core.Client;

namespace PeerChat.PowerShell.Commands;

/// <summary>The parameters of cmdlets that open their own connection to a server: where, and how (TLS).</summary>
public abstract class ServerConnectionCmdlet : PeerChatCmdlet
{
    [Parameter(Position = 0)]
    [Alias("Server", "HostName")]
    [ValidateNotNullOrEmpty]
    public string ComputerName { get; set; } = "localhost";

    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = ChatServerOptions.DefaultPort;

    /// <summary>Speak TLS to the server.</summary>
    [Parameter]
    public SwitchParameter UseTls { get; set; }

    /// <summary>Accept only a server certificate with this SHA-256 fingerprint (hex), whatever the trust store says.</summary>
    [Parameter]
    [ValidatePattern("^[0-9A-Fa-f: ]{64,95}$")]
    public string? ServerCertificateThumbprint { get; set; }

    /// <summary>Accept any server certificate (always warns): for tests and first contact only.</summary>
    [Parameter]
    public SwitchParameter SkipCertificateCheck { get; set; }

    /// <summary>Client options from these parameters; -SkipCertificateCheck always warns.</summary>
    protected ChatClientOptions ClientOptions(bool enableDirect, bool receivePresence)
    {
        if (SkipCertificateCheck)
        {
            WriteWarning("-SkipCertificateCheck accepts any certificate: anyone between you and the server could read this session. Pin the server with -ServerCertificateThumbprint instead.");
        }

        return new ChatClientOptions
        {
            EnableDirect = enableDirect,
            ReceivePresence = receivePresence,
            UseTls = UseTls || ServerCertificateThumbprint is not null || SkipCertificateCheck,
            ServerCertificateThumbprint = ServerCertificateThumbprint,
            SkipCertificateCheck = SkipCertificateCheck,
        };
    }
}
