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
    # A receiver paces each peer's direct messages, 1,000 a second by default, which would be all
    # the sender's loop measures. This one (the client library, as the C# bench's direct route)
    # lifts the pacing, so that the loop measures what Send-PeerChatMessage itself costs.
    $unpaced = [PeerChat.Core.Client.ChatClientOptions]@{ DirectFloodBurst = 1000000000; DirectFloodRate = 1e12; DirectFloodBurstBytes = 1TB; DirectFloodRateBytes = 1e15 }
    $fast = [PeerChat.Core.Client.ChatClient]::ConnectAsync('127.0.0.1', $server.Port, $unpaced, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    $null = $fast.SignUpAsync('ps-fast', 'bench password 1', [Threading.CancellationToken]::None).GetAwaiter().GetResult()
    $null = $fast.LoginAsync('ps-fast', 'bench password 1', [Threading.CancellationToken]::None).GetAwaiter().GetResult()

    # The default route, Auto: straight to the peer after the first message. (Relay would meet the
    # server's flood control, 10 requests a second by default, which is what a default server does.)
    foreach ($to in 'ps-receiver', 'ps-fast') { Send-PeerChatMessage -Session $sender -UserName $to -Message 'warm-up' }
    $null = Receive-PeerChatMessage -Session $receiver -Wait -Timeout '00:00:10'
    # The first loops of a fresh session pay for compiling: .NET compiles the engine's and
    # PeerChat's code in tiers, and in this loop it keeps compiling for some 20,000 calls (about a
    # second of JIT time in all, measured with JitInfo). The first loop is reported with its JIT
    # time; "steady" is the median of three loops after 20,000 calls in all.
    $sendLoop = {
        param([string] $to)
        Measure-Command {
            for ($i = 0; $i -lt $Messages; $i++) {
                Send-PeerChatMessage -Session $sender -UserName $to -Message "message $i"
            }
        }
    }
    $drainFast = {
        # Every message of a loop reached the unpaced receiver (its acks say so; this counts them).
        $event = $null
        $count = 0
        while ($fast.Events.TryRead([ref] $event)) { $count++ }
        $count
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
    $null = & $drainFast
    $jitBefore = [System.Runtime.JitInfo]::GetCompilationTime()
    $firstSend = & $sendLoop 'ps-fast'
    $firstSendJit = [System.Runtime.JitInfo]::GetCompilationTime() - $jitBefore
    $firstArrived = & $drainFast
    $firstPaced = & $sendLoop 'ps-receiver'
    $firstReceive = & $receiveLoop
    $warmUpLoops = [math]::Max(0, [math]::Ceiling(20000 / $Messages) - 2)
    for ($loop = 0; $loop -lt $warmUpLoops; $loop++) { $null = & $sendLoop 'ps-fast'; $null = & $drainFast }
    $steadySend = 1..3 | ForEach-Object { $elapsed = & $sendLoop 'ps-fast'; $null = & $drainFast; $elapsed } | Sort-Object TotalSeconds
    $steadyReceive = 1..3 | ForEach-Object { $null = & $sendLoop 'ps-receiver'; & $receiveLoop } | Sort-Object { $_.Elapsed.TotalSeconds }
    $rate = { param($count, $elapsed) [math]::Round($count / $elapsed.TotalSeconds) }

    "| Import-Module (median of 5 fresh processes) | $([math]::Round($imports[2])) ms |"
    "| Send-PeerChatMessage in a loop, direct route: first $Messages calls of the session (receiver's pacing lifted) | $(& $rate $Messages $firstSend) calls/s ($([math]::Round($firstSendJit.TotalMilliseconds)) ms of JIT compilation meanwhile; $firstArrived arrived) |"
    "| Send-PeerChatMessage in a loop, direct route: steady (median of 3 loops of $Messages, after 20,000 calls; receiver's pacing lifted) | $(& $rate $Messages $steadySend[1]) calls/s |"
    "| Send-PeerChatMessage in a loop, direct route: $Messages calls to a receiver at its default pacing (1,000 a second after a burst of 1,000) | $(& $rate $Messages $firstPaced) calls/s |"
    "| Receive-PeerChatMessage -Wait in a loop: first $Messages | $(& $rate $firstReceive.Received $firstReceive.Elapsed) messages/s ($($firstReceive.Received) received) |"
    "| Receive-PeerChatMessage -Wait in a loop: steady (median of 3) | $(& $rate $steadyReceive[1].Received $steadyReceive[1].Elapsed) messages/s ($($steadyReceive[1].Received) received) |"
}
finally {
    if ($fast) { $null = $fast.DisposeAsync().AsTask().GetAwaiter().GetResult() }
    Get-PeerChatSession | Disconnect-PeerChat
    $server | Stop-PeerChatServer
    $server | Remove-Job
    Remove-Item $store -ErrorAction Ignore
    Remove-Item "$($store -replace '\.csv$', '.db')*" -ErrorAction Ignore
}
