# Dot-sourced by every test file in BeforeAll: imports the laid-out module and gives small helpers.
# Servers run on port 0 (the bound port is read back), with a user store under $TestDrive and a low
# HashIterations, so tests can run beside others on one machine.

$modulePath = if ($env:PEERCHAT_MODULE_PATH) { $env:PEERCHAT_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/PeerChat/PeerChat.psd1' }
Import-Module $modulePath

$script:TestPassword = 'correct horse battery'

# How long a test waits for what should come (a message, an event, a job's end, a line): one value
# for every such wait, so a slower machine needs one change. Only failures ever wait it out. Waits
# that expect nothing to come keep their own short literals.
$script:TestTimeout = [timespan]::FromSeconds(30)

function Get-SkipReason {
    # The reason a test cannot run on this machine, to skip it by; under CI, whose machine can run
    # every test (.ci/run installs what they need, as root), the same reason fails it instead.
    param([string] $Reason)
    if ($Reason -and $env:CI) { throw "Under CI this test must run, but $Reason." }
    $Reason
}

function New-TestCredential {
    param([Parameter(Mandatory)] [string] $UserName, [string] $Password = $script:TestPassword)
    [pscredential]::new($UserName, (ConvertTo-SecureString $Password -AsPlainText -Force))
}

function Start-TestServer {
    param([hashtable] $Settings = @{})
    $parameters = @{
        Port           = 0
        ListenAddress  = [ipaddress]::Loopback
        HashIterations = 1000
        # Tests sign up many users from 127.0.0.1; the signup budget has a test of its own.
        SignupsPerAddressPerMinute = 100000
        UserStorePath  = Join-Path $TestDrive "users-$(Get-Random).csv"
        Name           = "pctest-$(Get-Random)"
        ErrorAction    = 'Stop'
    }
    foreach ($key in $Settings.Keys) { $parameters[$key] = $Settings[$key] }
    # A cluster's accounts are in its Redis, and -UserStorePath does not go with -Cluster.
    if ($parameters.ContainsKey('Cluster') -and -not $Settings.ContainsKey('UserStorePath')) { $parameters.Remove('UserStorePath') }
    # A message store of its own (the default, messages.db beside the user store, is one per folder).
    if (-not $parameters.ContainsKey('MessageStorePath') -and -not $parameters.ContainsKey('NoMessageStore') -and -not $parameters.ContainsKey('Cluster')) {
        $parameters.MessageStorePath = Join-Path $TestDrive "messages-$(Get-Random).db"
    }
    Start-PeerChatServer @parameters
}

function Connect-TestUser {
    param([Parameter(Mandatory)] [string] $UserName, [Parameter(Mandatory)] [int] $Port)
    Connect-PeerChat -ComputerName 127.0.0.1 -Port $Port -Credential (New-TestCredential $UserName) -SignUp -ErrorAction Stop
}

function Read-RawLine {
    # Up to -Count lines a server writes to a raw TCP connection, stopping early when it closes;
    # a read waits at most $TestTimeout.
    param([Parameter(Mandatory)] [Net.Sockets.TcpClient] $Client, [int] $Count = 3)
    $Client.ReceiveTimeout = $TestTimeout.TotalMilliseconds
    $reader = [IO.StreamReader]::new($Client.GetStream())
    for ($i = 0; $i -lt $Count; $i++) {
        $line = $reader.ReadLine()
        if ($null -eq $line) { break }
        $line
    }
}

function Wait-Until {
    # A bounded poll for what no event announces (a count going down), with a clear failure.
    param([Parameter(Mandatory)] [scriptblock] $Condition, [Parameter(Mandatory)] [string] $Because, [timespan] $Timeout = $TestTimeout)
    $deadline = [datetime]::UtcNow + $Timeout
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -gt $deadline) { throw "Timed out after $Timeout waiting until $Because." }
        Start-Sleep -Milliseconds 50
    }
}

function Remove-TestServers {
    # Every PeerChat job a test started is stopped and removed, and every session closed.
    Get-PeerChatSession | Disconnect-PeerChat -Confirm:$false -ErrorAction SilentlyContinue
    Get-Job | Where-Object PSJobTypeName -EQ 'PeerChatServer' | Remove-Job -Force
}
