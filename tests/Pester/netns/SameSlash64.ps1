# Runs inside a network namespace whose loopback holds two addresses of one IPv6 /64 and one of
# another: a server (settings from $Configuration) and raw clients, each bound to one address of
# $From (comma-separated), connecting in turn. Prints what each client was told first.
param([string] $ModulePath, [string] $StorePath, [string] $Configuration, [string] $Server, [string] $From)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$job = Start-PeerChatServer -Port 0 -ListenAddress '::' -HashIterations 1000 -UserStorePath $StorePath -Configuration $Configuration
# Each client stays connected (pending, not logged in) while the next one connects.
$clients = [Collections.Generic.List[Net.Sockets.TcpClient]]::new()
foreach ($address in $From -split ',') {
    $client = [Net.Sockets.TcpClient]::new([Net.IPEndPoint]::new([ipaddress]::Parse($address), 0))
    $clients.Add($client)
    $client.Connect([ipaddress]::Parse($Server), $job.Port)
    $client.ReceiveTimeout = 10000
    $frame = [IO.StreamReader]::new($client.GetStream()).ReadLine() | ConvertFrom-Json
    "FROM $address $($frame.type) $($frame.code)"
}
$clients | ForEach-Object Dispose
$job | Stop-PeerChatServer
