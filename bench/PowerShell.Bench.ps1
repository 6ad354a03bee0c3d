<#
.SYNOPSIS
    The PowerShell part of the benchmark: Import-Module time in fresh processes, and
    Send-PeerChatMessage / Receive-PeerChatMessage in a script loop. Run by build.ps1 Bench.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $Messages = 5000
)

$ErrorActionPreference = 'Stop'
$pwsh = Join-Path $PSHOME 'pwsh.dll'

# Import-Module in a fresh process each time: the median of five.
$imports = 1..5 | ForEach-Object {
    [double](& dotnet $pwsh -NoProfile -NonInteractive -Command "(Measure-Command { Import-Module '$ModulePath' }).TotalMilliseconds")
} | Sort-Object

Import-Module $ModulePath
$store = Join-Path ([IO.Path]::GetTempPath()) "peerchat-bench-$(Get-Random).csv"
$server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1 -UserStorePath $store -MessageStorePath ($store -replace '\.csv$', '.db')
try {
    $credential = { param($name) [pscredential]::new($name, (ConvertTo-SecureString 'bench password 1' -AsPlainText -Force)) }
    $receiver = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'ps-receiver') -SignUp
    $sender = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'ps-sender') -SignUp

    # The default route, Auto: straight to the peer after the first message. (Relay would meet the
    # server's flood control, 10 requests a second by default, which is what a default server does.)
    Send-PeerChatMessage -Session $sender -UserName 'ps-receiver' -Message 'warm-up'
    $null = Receive-PeerChatMessage -Session $receiver -Wait -Timeout '00:00:10'
    # The first loops of a fresh session pay for compiling: .NET compiles the engine's and
    # PeerChat's code in tiers, and in this loop it keeps compiling for some 20,000 calls (about a
    # second of JIT time in all, measured with JitInfo). The first loop is reported with its JIT
    # time; "steady" is the median of three loops after 20,000 calls in all.
    $sendLoop = {
        Measure-Command {
            for ($i = 0; $i -lt $Messages; $i++) {
                Send-PeerChatMessage -Session $sender -UserName 'ps-receiver' -Message "message $i"
            }
        }
    }
    $receiveLoop = {
        $received = 0
        $elapsed = Measure-Command {
            while ($received -lt $Messages) {
                $batch = @(Receive-PeerChatMessage -Session $receiver -Wait -Timeout '00:00:10')
                if (-not $batch) { break }
                $received += $batch.Count
            }
        }
        [pscustomobject]@{ Received = $received; Elapsed = $elapsed }
    }
    $jitBefore = [System.Runtime.JitInfo]::GetCompilationTime()
    $firstSend = & $sendLoop
    $firstSendJit = [System.Runtime.JitInfo]::GetCompilationTime() - $jitBefore
    $firstReceive = & $receiveLoop
    $warmUpLoops = [math]::Max(0, [math]::Ceiling(20000 / $Messages) - 1)
    for ($loop = 0; $loop -lt $warmUpLoops; $loop++) { $null = & $sendLoop; $null = & $receiveLoop }
    $steadySend = 1..3 | ForEach-Object { $elapsed = & $sendLoop; $null = & $receiveLoop; $elapsed } | Sort-Object TotalSeconds
    $steadyReceive = 1..3 | ForEach-Object { $null = & $sendLoop; & $receiveLoop } | Sort-Object { $_.Elapsed.TotalSeconds }
    $rate = { param($count, $elapsed) [math]::Round($count / $elapsed.TotalSeconds) }

    "| Import-Module (median of 5 fresh processes) | $([math]::Round($imports[2])) ms |"
    "| Send-PeerChatMessage in a loop, direct route: first $Messages calls of the session | $(& $rate $Messages $firstSend) calls/s ($([math]::Round($firstSendJit.TotalMilliseconds)) ms of JIT compilation meanwhile) |"
    "| Send-PeerChatMessage in a loop, direct route: steady (median of 3 loops of $Messages, after 20,000 calls) | $(& $rate $Messages $steadySend[1]) calls/s |"
    "| Receive-PeerChatMessage -Wait in a loop: first $Messages | $(& $rate $firstReceive.Received $firstReceive.Elapsed) messages/s ($($firstReceive.Received) received) |"
    "| Receive-PeerChatMessage -Wait in a loop: steady (median of 3) | $(& $rate $steadyReceive[1].Received $steadyReceive[1].Elapsed) messages/s ($($steadyReceive[1].Received) received) |"
}
finally {
    Get-PeerChatSession | Disconnect-PeerChat
    $server | Stop-PeerChatServer
    $server | Remove-Job
    Remove-Item $store -ErrorAction Ignore
    Remove-Item "$($store -replace '\.csv$', '.db')*" -ErrorAction Ignore
}
