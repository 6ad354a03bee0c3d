using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using PeerChat.Core;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// A server's settings read from a PowerShell data file (.psd1), as Import-PowerShellDataFile reads
/// one: only literal values, nothing runs. The server's settings are those of
/// <see cref="ServerSettings"/>; the job's own (where the users are, the job's name, TLS) are kept
/// apart. Every problem is a terminating error naming the file, the key and the value.
/// </summary>
internal sealed class ServerConfigurationFile
{
    /// <summary>The keys that are the job's, not the server's.</summary>
    public static readonly string[] JobKeys = ["UserStorePath", "Name", "EventBufferSize", "CertificatePath", "SelfSignedCertificate", "MessageStorePath", "NoMessageStore"];

    public Dictionary<string, object?> ServerSettings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The message store's settings (<see cref="Core.ServerSettings.Store"/>), converted.</summary>
    public Dictionary<string, object?> StoreSettings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The file's full path; null without a file.</summary>
    public string? Path { get; private set; }

    public string? UserStorePath { get; private set; }

    public string? Name { get; private set; }

    public int? EventBufferSize { get; private set; }

    public string? CertificatePath { get; private set; }

    public bool SelfSignedCertificate { get; private set; }

    public string? MessageStorePath { get; private set; }

    public bool NoMessageStore { get; private set; }

    /// <summary>The settings in <paramref name="path"/>; none when it is null.</summary>
    public static ServerConfigurationFile Read(PSCmdlet cmdlet, string? path)
    {
        var file = new ServerConfigurationFile();
        if (path is null)
        {
            return file;
        }

        var fullPath = file.Path = cmdlet.GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(fullPath))
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new ItemNotFoundException($"The configuration file {fullPath} does not exist; New-PeerChatServerConfiguration writes one."), "ConfigurationNotFound", ErrorCategory.ObjectNotFound, fullPath));
        }

        foreach (DictionaryEntry entry in ParseDataFile(cmdlet, fullPath))
        {
            var key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
            try
            {
                file.Add(key, entry.Value);
            }
            catch (ArgumentException ex)
            {
                cmdlet.ThrowTerminatingError(new ErrorRecord(new ArgumentException($"{fullPath}: {ex.Message}", key, ex), "InvalidServerSetting", ErrorCategory.InvalidArgument, key));
            }
        }

        return file;
    }

    private static Hashtable ParseDataFile(PSCmdlet cmdlet, string fullPath)
    {
        try
        {
            var ast = Parser.ParseFile(fullPath, out _, out var errors);
            if (errors.Length > 0)
            {
                throw new InvalidDataException($"line {errors[0].Extent.StartLineNumber}: {errors[0].Message}");
            }

            var table = ast.Find(node => node is HashtableAst, searchNestedScriptBlocks: false) as HashtableAst
                ?? throw new InvalidDataException("it holds no @{ ... } of settings.");
            return (Hashtable)table.SafeGetValue();
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException)
        {
            // SafeGetValue refuses anything but literal values (a variable or a command) with InvalidOperationException.
            cmdlet.ThrowTerminatingError(new ErrorRecord(new InvalidDataException($"The configuration file {fullPath} cannot be read: {ex.Message}", ex), "ConfigurationUnreadable", ErrorCategory.ParserError, fullPath));
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(ex, "ConfigurationUnreadable", ErrorCategory.ReadError, fullPath));
            throw;
        }
    }

    private void Add(string key, object? value)
    {
        switch (key.ToUpperInvariant())
        {
            case "USERSTOREPATH":
                UserStorePath = Text(key, value);
                break;
            case "NAME":
                Name = Text(key, value);
                break;
            case "CERTIFICATEPATH":
                CertificatePath = Text(key, value);
                break;
            case "SELFSIGNEDCERTIFICATE":
                SelfSignedCertificate = value is bool b ? b : throw Refused(key, value, "must be $true or $false");
                break;
            case "MESSAGESTOREPATH":
                MessageStorePath = Text(key, value);
                break;
            case "NOMESSAGESTORE":
                NoMessageStore = value is bool noStore ? noStore : throw Refused(key, value, "must be $true or $false");
                break;
            case "EVENTBUFFERSIZE":
                EventBufferSize = value is int n and >= 10 and <= 10_000_000 ? n : throw Refused(key, value, "must be a whole number from 10 to 10000000");
                break;
            case var _ when Core.ServerSettings.FindStore(key) is { } storeSetting:
                StoreSettings[key] = Core.ServerSettings.ConvertValue(storeSetting, value);
                break;
            default:
                var setting = Core.ServerSettings.Find(key)
                    ?? throw new ArgumentException($"there is no setting '{key}'. The settings are: {string.Join(", ", JobKeys.Concat(Core.ServerSettings.All.Select(p => p.Name)).Concat(Core.ServerSettings.Store.Select(p => p.Name)))}.", key);
                ServerSettings[key] = Core.ServerSettings.ConvertValue(setting, value);
                break;
        }
    }

    private static string? Text(string key, object? value) => value is null or string ? (string?)value : throw Refused(key, value, "must be a string");

    private static ArgumentException Refused(string key, object? value, string rule) => new($"the setting {key} = '{value}' is refused: it {rule}.", key);
}
