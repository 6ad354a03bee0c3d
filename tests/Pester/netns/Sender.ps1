# Runs inside the sender's namespace: looks the receiver up and sends it one message directly.
param([string] $ModulePath, [string] $Server, [int] $Port, [string] $UserName, [string] $To)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$credential = [pscredential]::new($UserName, (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force))
$null = Connect-PeerChat -ComputerName $Server -Port $Port -Credential $credential -SignUp
"ENDPOINT $((Get-PeerChatClient -UserName $To).PeerEndpoint)"
$receipt = Send-PeerChatMessage -UserName $To -Message 'across namespaces' -Route Direct -PassThru
"SENT $($receipt.Route)"
Disconnect-PeerChat
