using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

// Sessions live in one registry per process (Get-PeerChatSession sees them all), so the tests of
// this assembly run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace PeerChat.PowerShell.Tests;

/// <summary>
/// A runspace with the PeerChat cmdlets and views loaded, as Import-Module would load them, and a
/// way to run a script in it and read its output and errors. Disposing stops every server and
/// session the script started.
/// </summary>
public sealed class PowerShellSession : IDisposable
{
    private readonly Runspace _runspace;
    private readonly string _directory = Directory.CreateTempSubdirectory("peerchat-ps-tests-").FullName;

    public PowerShellSession()
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(typeof(Commands.StartPeerChatServerCommand).Assembly.Location);
        state.Formats.Add(new SessionStateFormatEntry(Path.Combine(AppContext.BaseDirectory, "PeerChat.Format.ps1xml")));
        _runspace = RunspaceFactory.CreateRunspace(state);
        _runspace.Open();
        // A server on a free port of 127.0.0.1, with cheap hashes and a user store of its own.
        Run($$"""
            function Start-TestServer([hashtable] $Settings = @{}) {
                $parameters = @{ Port = 0; ListenAddress = [ipaddress]::Loopback; HashIterations = 1000; SignupsPerAddressPerMinute = 100000
                    UserStorePath = Join-Path '{{_directory}}' "users-$(Get-Random).csv"; ErrorAction = 'Stop' }
                foreach ($key in $Settings.Keys) { $parameters[$key] = $Settings[$key] }
                # A message store of its own: the default, messages.db beside the user store, is one per folder.
                if (-not $parameters.ContainsKey('MessageStorePath') -and -not $parameters.ContainsKey('NoMessageStore')) {
                    $parameters.MessageStorePath = Join-Path '{{_directory}}' "messages-$(Get-Random).db"
                }
                Start-PeerChatServer @parameters
            }
            function Connect-TestUser([string] $UserName, [int] $Port, [string] $Password = 'correct horse battery') {
                $credential = [pscredential]::new($UserName, (ConvertTo-SecureString $Password -AsPlainText -Force))
                Connect-PeerChat -ComputerName 127.0.0.1 -Port $Port -Credential $credential -SignUp -ErrorAction Stop
            }
            """);
    }

    /// <summary>Runs <paramref name="script"/>; a terminating error throws, non-terminating ones are in <paramref name="errors"/>.</summary>
    public Collection<PSObject> Run(string script, out IReadOnlyList<ErrorRecord> errors)
    {
        using var shell = System.Management.Automation.PowerShell.Create();
        shell.Runspace = _runspace;
        var output = shell.AddScript(script).Invoke();
        errors = [.. shell.Streams.Error];
        return output;
    }

    public Collection<PSObject> Run(string script)
    {
        var output = Run(script, out var errors);
        Assert.Empty(errors);
        return output;
    }

    public void Dispose()
    {
        Run("""
            Get-PeerChatSession | Disconnect-PeerChat -Confirm:$false -ErrorAction SilentlyContinue
            Get-Job | Where-Object PSJobTypeName -EQ 'PeerChatServer' | Remove-Job -Force
            """, out _);
        _runspace.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
