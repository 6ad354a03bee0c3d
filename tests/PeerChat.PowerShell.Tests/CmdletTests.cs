using System.Management.Automation;
using System.Net.Sockets;

namespace PeerChat.PowerShell.Tests;

/// <summary>Binding, pipelines, errors and views of the cmdlets, in process on the 7.6.9 engine, over real sockets on 127.0.0.1.</summary>
public sealed class CmdletTests : IDisposable
{
    private readonly PowerShellSession _shell = new();

    public void Dispose() => _shell.Dispose();

    [Fact]
    public void SessionsPipedToGetPeerChatClient_AreEachAsked()
    {
        var clients = _shell.Run("""
            $server = Start-TestServer
            $a = Connect-TestUser ann $server.Port
            $b = Connect-TestUser ben $server.Port
            $a, $b | Get-PeerChatClient
            """);

        Assert.Equal(4, clients.Count);
        Assert.Equal(["ann", "ben"], clients.Where(c => (bool)c.Properties["IsSelf"].Value).Select(c => (string)c.Properties["UserName"].Value));
    }

    [Fact]
    public void ANameThatIsNotOnline_IsANonTerminatingClientNotFound()
    {
        var found = _shell.Run("""
            $server = Start-TestServer
            $a = Connect-TestUser ann $server.Port
            Get-PeerChatClient -Session $a -UserName ann, nobody
            """, out var errors);

        Assert.Equal("ann", Assert.Single(found).Properties["UserName"].Value);
        var error = Assert.Single(errors);
        Assert.Equal("ClientNotFound,PeerChat.PowerShell.Commands.GetPeerChatClientCommand", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
    }

    [Fact]
    public void APlainNumber_IsSecondsForATimeSpanParameter()
    {
        var idle = _shell.Run("""
            $server = Start-TestServer @{ IdleTimeout = 45 }
            (Connect-TestUser ann $server.Port).IdleTimeout
            """);

        Assert.Equal(TimeSpan.FromSeconds(45), Assert.Single(idle).BaseObject);
    }

    [Fact]
    public void AWrongPassword_IsInvalidCredentials_AnAuthenticationError()
    {
        var session = _shell.Run("""
            $server = Start-TestServer
            $null = Connect-TestUser ann $server.Port
            $wrong = [pscredential]::new('ann', (ConvertTo-SecureString 'not the password' -AsPlainText -Force))
            Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential $wrong
            """, out var errors);

        Assert.Empty(session);
        var failure = Assert.Single(errors);
        Assert.Equal("InvalidCredentials,PeerChat.PowerShell.Commands.ConnectPeerChatCommand", failure.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.AuthenticationError, failure.CategoryInfo.Category);
    }

    [Fact]
    public void ThePortInUse_FailsTheJob_WithTheSocketErrorAsItsReason()
    {
        // JobStateInfo.Reason is set through the member PowerShell Standard lacks (bound by reflection).
        var job = _shell.Run("""
            $first = Start-TestServer
            $second = Start-TestServer @{ Port = $first.Port; ErrorAction = 'Continue' }
            Get-Job | Where-Object { $_.PSJobTypeName -eq 'PeerChatServer' -and $_.Id -ne $first.Id }
            """, out var errors);

        Assert.Equal("PortInUse,PeerChat.PowerShell.Commands.StartPeerChatServerCommand", Assert.Single(errors).FullyQualifiedErrorId);
        var info = ((Job)Assert.Single(job).BaseObject).JobStateInfo;
        Assert.Equal(JobState.Failed, info.State);
        Assert.IsType<SocketException>(info.Reason);
    }

    [Fact]
    public void TheSessionView_ShowsTheUserAndTheServer()
    {
        var table = string.Concat(_shell.Run("""
            $server = Start-TestServer
            $null = Connect-TestUser ann $server.Port
            Get-PeerChatSession | Out-String -Width 200
            """).Select(line => line.ToString()));

        Assert.Contains("ann", table, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", table, StringComparison.Ordinal);
        Assert.DoesNotContain("PeerChat.PowerShell.Objects.PeerChatSession", table, StringComparison.Ordinal);
    }
}
