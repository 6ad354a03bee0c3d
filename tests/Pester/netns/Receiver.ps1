# Runs inside the receiver's namespace: logs in, then reports the first message that arrives.
param([string] $ModulePath, [string] $Server, [int] $Port, [string] $UserName)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$credential = [pscredential]::new($UserName, (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force))
$session = Connect-PeerChat -ComputerName $Server -Port $Port -Credential $credential -SignUp
"READY $($session.DirectPort)"
$message = Receive-PeerChatMessage -Wait -Timeout '00:00:30'
"MESSAGE " + ($message | Select-Object From, @{ Name = 'Route'; Expression = { "$($_.Route)" } }, Text | ConvertTo-Json -Compress)
Disconnect-PeerChat
