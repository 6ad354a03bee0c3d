# Dot-sourced by WebSocketClients.Tests.ps1 after TestHelpers.ps1: the Python WebSocket client of
# tests/web (Debian's python3 with its python3-websockets) run as a child process, spoken to in JSON lines.

. $PSScriptRoot/ChildClientHelpers.ps1

$script:WsPython = '/usr/bin/python3'
$script:WsClientScript = Join-Path $PSScriptRoot '../web/ws_client.py'

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
    # a handle for ChildClientHelpers.ps1's functions. The script ends by itself after 300 s at the latest.
    param(
        [Parameter(Mandatory)] [int] $WebPort,
        [Parameter(Mandatory)] [string] $UserName,
        [ValidateSet('peerchat.v1', 'text.ircv3.net', 'none')] [string] $Subprotocol = 'peerchat.v1',
        [ValidateSet('session', 'probe')] [string] $Mode = 'session',
        [string] $Password = $script:TestPassword,
        [string[]] $ExtraArguments = @()
    )
    $arguments = @($script:WsClientScript, '--url', "ws://127.0.0.1:$WebPort/ws", '--mode', $Mode, '--subprotocol', $Subprotocol,
        '--user', $UserName, '--password', $Password, '--lifetime', 300) + $ExtraArguments
    Start-ChildClient -FilePath $script:WsPython -Arguments $arguments -Name "WebSocket client $UserName ($Mode, $Subprotocol)"
}
