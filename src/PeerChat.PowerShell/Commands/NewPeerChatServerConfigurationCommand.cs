using System.Globalization;
using System.Management.Automation;
using System.Text;
using PeerChat.Core;
using PeerChat.PowerShell.Jobs;

namespace PeerChat.PowerShell.Commands;

/// <summary>
/// Writes a configuration file for Start-PeerChatServer -Configuration: every setting with its
/// default and its description, so an operator edits values rather than looking names up.
/// </summary>
[Cmdlet(VerbsCommon.New, "PeerChatServerConfiguration", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class NewPeerChatServerConfigurationCommand : PeerChatCmdlet
{
    private const int LineWidth = 100;

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        var fullPath = GetUnresolvedProviderPathFromPSPath(Path);
        if (File.Exists(fullPath) && !Force)
        {
            ThrowTerminatingError(new ErrorRecord(new IOException($"{fullPath} exists already; -Force overwrites it."), "ConfigurationExists", ErrorCategory.ResourceExists, fullPath));
        }

        if (!ShouldProcess(fullPath, "Write a PeerChat server configuration"))
        {
            return;
        }

        try
        {
            File.WriteAllText(fullPath, Render(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "ConfigurationNotWritten", ErrorCategory.WriteError, fullPath));
        }

        WriteObject(new FileInfo(fullPath));
    }

    private static string Render()
    {
        var text = new StringBuilder();
        text.AppendLine("# PeerChat server configuration, for: Start-PeerChatServer -Configuration <this file>");
        text.AppendLine("# Every setting with its default. Parameters of Start-PeerChatServer win over this file.");
        text.AppendLine("# Time spans are a number of seconds or a string such as '00:30:00'. Only literal values:");
        text.AppendLine("# the file is read as data, nothing in it runs.");
        text.AppendLine("@{");
        text.AppendLine("    # ---- The job ----");
        Setting(text, "UserStorePath", "'~/.peerchat/users.csv'", "The CSV file of accounts; created, readable by its owner only, when missing.");
        Setting(text, "Name", "'PeerChat-4400'", "The job's name, as Get-Job shows it; PeerChat-<port> when not set.", commentedOut: true);
        Setting(text, "EventBufferSize", PeerChatServerJob.DefaultEventBufferSize.ToString(CultureInfo.InvariantCulture), "Server events the job keeps until Receive-Job reads them; past it the oldest are dropped and counted.");
        Setting(text, "CertificatePath", "'/etc/peerchat/server.pfx'", "Speak TLS with the certificate and key in this PFX or PEM file (a password only as -CertificatePassword).", commentedOut: true);
        Setting(text, "SelfSignedCertificate", "$false", "Speak TLS with a certificate made at start; clients pin its fingerprint.");
        text.AppendLine();
        text.AppendLine("    # ---- The server ----");
        var defaults = new ChatServerOptions();
        foreach (var setting in ServerSettings.All)
        {
            // The name carries the version: pinned in a file it would go stale.
            var pinsVersion = setting.Name == nameof(ChatServerOptions.ServerName);
            Setting(text, setting.Name, ServerSettings.ToPowerShellLiteral(setting.GetValue(defaults)), ServerSettingsDocumentation.Describe(setting), pinsVersion);
        }

        text.AppendLine();
        text.AppendLine("    # ---- The message store ----");
        Setting(text, "MessageStorePath", "'~/.peerchat/messages.db'", "The SQLite file where conversations last (history, rooms, offline queues, read markers); created when missing. By default messages.db in the folder of UserStorePath.", commentedOut: true);
        Setting(text, "NoMessageStore", "$false", "Run memory-only, as a relay: no history, rooms or offline delivery, and no file.");
        var storeDefaults = new Core.Chat.MessageStoreSettings();
        foreach (var setting in ServerSettings.Store)
        {
            Setting(text, setting.Name, ServerSettings.ToPowerShellLiteral(setting.GetValue(storeDefaults)), ServerSettingsDocumentation.Describe(setting));
        }

        text.AppendLine("}");
        return text.ToString();
    }

    private static void Setting(StringBuilder text, string name, string value, string? description, bool commentedOut = false)
    {
        foreach (var line in Wrap(description ?? name, LineWidth - 6))
        {
            text.Append("    # ").AppendLine(line);
        }

        text.Append(commentedOut ? "    # " : "    ").Append(name).Append(" = ").AppendLine(value);
    }

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = new StringBuilder();
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                yield return line.ToString();
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : string.Empty).Append(word);
        }

        if (line.Length > 0)
        {
            yield return line.ToString();
        }
    }
}
