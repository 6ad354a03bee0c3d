@{
    ModuleVersion     = '0.1.0'
    GUID              = '5b0f3c8e-8d0b-4c52-9a55-2f1f0e6c9b41'
    Author            = 'PeerChat developers'
    Description       = 'Chat between machines and between scripts: a chat server as a background job, and cmdlets to connect, list, broadcast and message peers.'
    PowerShellVersion = '7.6'
    CompatiblePSEditions = @('Core')
}
