# The package build.ps1 makes: installed from a folder repository into a clean module path, it
# imports in a fresh pwsh and runs a short session.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'The PeerChat package' -Tag Integration {
    BeforeAll {
        $repositoryName = "PeerChatTest$(Get-Random)"
        $repository = Join-Path $TestDrive 'repository'
        $modules = Join-Path $TestDrive 'clean-modules'
        New-Item -ItemType Directory $repository, $modules | Out-Null
        Copy-Item $env:PEERCHAT_PACKAGE_PATH $repository
        Register-PSResourceRepository -Name $repositoryName -Uri $repository -Trusted
    }

    AfterAll {
        Unregister-PSResourceRepository -Name $repositoryName -ErrorAction SilentlyContinue
    }

    It 'installs into a clean module path and works in a fresh pwsh' {
        Save-PSResource -Name PeerChat -Repository $repositoryName -Path $modules -TrustRepository -Quiet
        $script = @'
$ErrorActionPreference = 'Stop'
Import-Module PeerChat
$server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path ([IO.Path]::GetTempPath()) "pkg-$(Get-Random).csv")
$credential = { param($n) [pscredential]::new($n, (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force)) }
$bob = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'bob') -SignUp
$null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'alice') -SignUp
Send-PeerChatMessage -UserName bob -Message 'from the package'
"MODULE $((Get-Module PeerChat).ModuleBase)"
"RECEIVED $((Receive-PeerChatMessage -Session $bob -Wait -Timeout '00:00:10').Text)"
"HELP $((Get-Help Send-PeerChatMessage).Synopsis)"
$server | Stop-PeerChatServer
'@
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $env:PSModulePath, $saved = $modules, $env:PSModulePath
        try { $output = & dotnet $pwsh -NoProfile -NonInteractive -Command $script 2>&1 }
        finally { $env:PSModulePath = $saved }

        $output | Should -Contain 'RECEIVED from the package'
        ($output | Where-Object { $_ -like 'MODULE *' }) | Should -BeLike "MODULE $modules*"
        # Without its MAML file, Get-Help would make the synopsis up from the syntax.
        ($output | Where-Object { $_ -like 'HELP *' }) | Should -Not -Match '^HELP\s*$|^HELP Send-PeerChatMessage '
    }
}
