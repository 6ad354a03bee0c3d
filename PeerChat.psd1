# The module manifest. From the repository root it loads the laid-out module in out/PeerChat
# (run ./build.ps1 Build first) as its root module, so that the module's base is out/PeerChat,
# where PowerShell finds the help (en-US), the about topic and the formats. build.ps1 writes the
# shipped copy into out/PeerChat with the DLL as the root module and the formats named there.
@{
    RootModule           = 'out/PeerChat/PeerChat.psd1'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f3c8e-8d0b-4c52-9a55-2f1f0e6c9b41'
    Author               = 'PeerChat developers'
    CompanyName          = 'PeerChat'
    Copyright            = '(c) PeerChat developers. MIT License.'
    Description          = 'Chat between machines and between scripts: a chat server as a background job, and cmdlets to connect, list who is online, broadcast and message peers, with every result a pipeline object.'
    # PowerShell 7.6 on .NET 10. Not Windows PowerShell 5.1: it runs on .NET Framework 4.x, which
    # lacks the sockets, TLS and JSON libraries the core is built on (README, about_PeerChat).
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @()
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
        'New-PeerChatServerConfiguration'
        'Join-PeerChatRoom'
        'Exit-PeerChatRoom'
        'Get-PeerChatRoom'
        'Get-PeerChatHistory'
        'Get-PeerChatConversation'
        'Copy-PeerChatStore'
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
