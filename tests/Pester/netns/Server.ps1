# Runs inside the server's network namespace: a server on its bridge address until stdin closes.
param([string] $ModulePath, [string] $Address, [string] $StorePath)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$job = Start-PeerChatServer -Port 0 -ListenAddress $Address -HashIterations 1000 -UserStorePath $StorePath
"READY $($job.Port)"
$null = [Console]::In.ReadLine()
"RELAYED $($job.Statistics.MessagesRelayed) BROKERED $($job.Statistics.DirectConnectionsBrokered)"
$job | Stop-PeerChatServer
