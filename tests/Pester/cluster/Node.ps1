# One node of a cluster in a process of its own, started through the cmdlets, so that a test can
# kill -9 it. Writes one JSON line {"event":"ready","port":N} once the server listens; stdin closing
# (or 10 minutes passing) stops it.
param([string] $ModulePath, [string] $Cluster, [string] $NodeName)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$job = Start-PeerChatServer -Cluster $Cluster -NodeName $NodeName -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 `
    -SignupsPerAddressPerMinute 100000 -Name "cluster-$NodeName-$PID"
@{ event = 'ready'; port = $job.Port; pid = $PID } | ConvertTo-Json -Compress
[Console]::Out.Flush()
$null = [Console]::In.ReadLineAsync().Wait([timespan]::FromMinutes(10))
$job | Stop-PeerChatServer
