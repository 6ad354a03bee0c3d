# The module manifest. From the repository root it loads the build output in out/PeerChat
# (run ./build.ps1 Build first); build.ps1 writes a copy into out/PeerChat with those paths made
# local, which is the module as it ships.
@{
    RootModule           = 'out/PeerChat/PeerChat.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f3c8e-8d0b-4c52-9a55-2f1f0e6c9b41'
    Author               = 'PeerChat developers'
    CompanyName          = 'PeerChat'
    Copyright            = '(c) PeerChat developers. MIT License.'
    Description          = 'Chat between machines and between scripts: a chat server as a background job, and cmdlets to connect, list who is online, broadcast and message peers, with every result a pipeline object.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('out/PeerChat/PeerChat.Format.ps1xml')
    CmdletsToExport      = @(
        'Start-PeerChatServer'
        'Stop-PeerChatServer'
        'Connect-PeerChat'
        'Disconnect-PeerChat'
        'Get-PeerChatSession'
        'Register-PeerChatUser'
        'Import-PeerChatUser'
        'Get-PeerChatClient'
        'Send-PeerChatBroadcast'
        'Send-PeerChatMessage'
        'Receive-PeerChatMessage'
        'Enter-PeerChat'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('chat', 'messaging', 'tcp', 'peer-to-peer', 'job')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
