# Dot-sourced by WebSocketClients.Tests.ps1 after TestHelpers.ps1: the Python WebSocket client of
# tests/web (Debian's python3 with its python3-websockets) run as a child process, spoken to in JSON lines.

$script:WsPython = '/usr/bin/python3'
$script:WsClientScript = Join-Path $PSScriptRoot '../web/ws_client.py'
$script:WsClients = [Collections.Generic.List[object]]::new()

function Get-MissingWebSocketTool {
    # Why the test must skip ('' when nothing is missing); under CI (.ci/run installs the package)
    # a missing package fails the test instead.
    $present = (Test-Path $script:WsPython) -and $(& $script:WsPython -c 'import websockets' 2>$null; $LASTEXITCODE -eq 0)
    if ($present) { return '' }
    $reason = 'the Debian package python3-websockets is not installed (.ci/run installs it)'
    if ($env:CI) { throw "Under CI the WebSocket client's package must be there: $reason." }
    $reason
}

function Start-WebSocketClient {
    # The Python client in -Mode session (logging in as -UserName over -Subprotocol) or probe; returns
    # a handle for the other functions. The script ends by itself after 300 s at the latest.
    param(
        [Parameter(Mandatory)] [int] $WebPort,
        [Parameter(Mandatory)] [string] $UserName,
        [ValidateSet('peerchat.v1', 'text.ircv3.net', 'none')] [string] $Subprotocol = 'peerchat.v1',
        [ValidateSet('session', 'probe')] [string] $Mode = 'session',
        [string] $Password = $script:TestPassword,
        [string[]] $ExtraArguments = @()
    )
    $start = [Diagnostics.ProcessStartInfo]::new($script:WsPython)
    $arguments = @($script:WsClientScript, '--url', "ws://127.0.0.1:$WebPort/ws", '--mode', $Mode, '--subprotocol', $Subprotocol,
        '--user', $UserName, '--password', $Password, '--lifetime', 300) + $ExtraArguments
    foreach ($argument in $arguments) { $start.ArgumentList.Add([string]$argument) }
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($start)
    $client = [pscustomobject]@{
        Name    = "$UserName ($Mode, $Subprotocol)"
        Process = $process
        # Events read but not yet taken by Wait-WebSocketEvent, oldest first.
        Backlog = [Collections.Generic.List[object]]::new()
        # Every event read, for the message of a failed wait.
        Seen    = [Collections.Generic.List[string]]::new()
        Reading = $process.StandardOutput.ReadLineAsync()
        Ended   = $false
        Stderr  = $process.StandardError.ReadToEndAsync()
    }
    $script:WsClients.Add($client)
    $client
}

function Send-WebSocketCommand {
    param([Parameter(Mandatory)] $Client, [Parameter(Mandatory)] [hashtable] $Command)
    $Client.Process.StandardInput.WriteLine(($Command | ConvertTo-Json -Compress))
    $Client.Process.StandardInput.Flush()
}

function Wait-WebSocketEvent {
    # The first event (oldest first, each taken once) for which -Where is true, waiting at most
    # -Timeout for it; throws with everything the client reported when none comes.
    param(
        [Parameter(Mandatory)] $Client,
        [Parameter(Mandatory)] [scriptblock] $Where,
        [Parameter(Mandatory)] [string] $Because,
        [timespan] $Timeout = $script:TestTimeout
    )
    $deadline = [datetime]::UtcNow + $Timeout
    while ($true) {
        for ($i = 0; $i -lt $Client.Backlog.Count; $i++) {
            $candidate = $Client.Backlog[$i]
            if (($candidate | ForEach-Object $Where) -eq $true) {
                $Client.Backlog.RemoveAt($i)
                return $candidate
            }
        }
        $left = $deadline - [datetime]::UtcNow
        if ($Client.Ended -or $left -le [timespan]::Zero) { break }
        if (-not $Client.Reading.Wait($left)) { break }
        $line = $Client.Reading.Result
        if ($null -eq $line) { $Client.Ended = $true; continue }
        $Client.Seen.Add($line)
        $Client.Backlog.Add(($line | ConvertFrom-Json))
        $Client.Reading = $Client.Process.StandardOutput.ReadLineAsync()
    }
    $why = if ($Client.Ended) { 'the client ended' } else { "timed out after $Timeout" }
    $stderr = if ($Client.Ended -and $Client.Stderr.Wait(2000)) { "`nstderr: $($Client.Stderr.Result)" } else { '' }
    throw "WebSocket client $($Client.Name): $why waiting until $Because. It reported:`n$($Client.Seen -join "`n")$stderr"
}

function Stop-WebSocketClient {
    # Closing its stdin makes the client close its WebSocket and end; killed if not ended in 10 s.
    param([Parameter(Mandatory)] $Client)
    if (-not $Client.Process.HasExited) {
        try { $Client.Process.StandardInput.Close() } catch { $null = $_ }
        if (-not $Client.Process.WaitForExit(10000)) { $Client.Process.Kill($true) }
    }
    $Client.Process.Dispose()
    $null = $script:WsClients.Remove($Client)
}

function Remove-WebSocketClients {
    foreach ($client in @($script:WsClients)) { Stop-WebSocketClient $client }
}
