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
# A folder of its own: the message store's default file is messages.db beside the user store.
$folder = Join-Path ([IO.Path]::GetTempPath()) "pkg-$(Get-Random)"
$server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $folder 'users.csv')
"STORE $($server.MessageStorePath)"
try { $null = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -UserStorePath (Join-Path $folder 'other.csv') } catch { "SECOND $($_.FullyQualifiedErrorId)" }
$store = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'PeerChat.Store.Sqlite' }
"CONTEXT $([Runtime.Loader.AssemblyLoadContext]::GetLoadContext($store).Name) $($store.Location)"
"CORE $(([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'PeerChat.Core' }).Location)"
$credential = { param($n) [pscredential]::new($n, (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force)) }
$bob = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'bob') -SignUp
$null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'alice') -SignUp
Send-PeerChatMessage -UserName bob -Message 'from the package'
"MODULE $((Get-Module PeerChat).ModuleBase)"
"RECEIVED $((Receive-PeerChatMessage -Session $bob -Wait -Timeout '00:00:10').Text)"
"HELP $((Get-Help Send-PeerChatMessage).Synopsis)"
$sent = Send-PeerChatBroadcast -Session $bob -Message 'kept in the store' -PassThru
$server | Stop-PeerChatServer
$header = [IO.File]::ReadAllBytes($server.MessageStorePath)
"HEADER $([Text.Encoding]::ASCII.GetString($header, 0, 15)) $([Text.Encoding]::ASCII.GetString($header, 68, 4))"
# A new server on the same files: the broadcast is read back from the store.
Get-PeerChatSession | Disconnect-PeerChat -Confirm:$false
$restarted = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $folder 'users.csv')
$reader = Connect-PeerChat -ComputerName 127.0.0.1 -Port $restarted.Port -Credential (& $credential 'alice')
$history = @(Get-PeerChatHistory -Session $reader)
"HISTORY $($history.Count) $($history[-1].MessageId -eq $sent.MessageId) $($history[-1].From): $($history[-1].Text)"
Get-PeerChatSession | Disconnect-PeerChat -Confirm:$false
$restarted | Stop-PeerChatServer
Remove-Item -Recurse $folder
'@
        $pwsh = Join-Path $PSHOME 'pwsh.dll'
        $env:PSModulePath, $saved = $modules, $env:PSModulePath
        try { $output = & dotnet $pwsh -NoProfile -NonInteractive -Command $script 2>&1 }
        finally { $env:PSModulePath = $saved }

        $output | Should -Contain 'RECEIVED from the package'
        ($output | Where-Object { $_ -like 'MODULE *' }) | Should -BeLike "MODULE $modules*"
        # Without its MAML file, Get-Help would make the synopsis up from the syntax.
        ($output | Where-Object { $_ -like 'HELP *' }) | Should -Not -Match '^HELP\s*$|^HELP Send-PeerChatMessage '
        # The message store opens from the package: its SQLite in the module's own load context,
        # from dependencies/ of the installed module, a PeerChat store on disk, one server a file.
        ($output | Where-Object { $_ -like 'STORE *' }) | Should -BeLike '*messages.db'
        $output | Should -Contain 'SECOND MessageStoreInUse,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
        ($output | Where-Object { $_ -like 'CONTEXT *' }) | Should -BeLike "CONTEXT PeerChat.Dependencies $modules*dependencies*PeerChat.Store.Sqlite.dll"
        $output | Should -Contain 'HEADER SQLite format 3 PCht'
        # This platform's copies compiled ahead of time, not the portable ones (see the next tests).
        $runtime = "$(if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' })-$([Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant())"
        ($output | Where-Object { $_ -like 'CORE *' }) | Should -BeLike "CORE $modules*runtimes?${runtime}?lib?PeerChat.Core.dll"
        ($output | Where-Object { $_ -like 'CONTEXT *' }) | Should -BeLike "CONTEXT * $modules*dependencies?runtimes?${runtime}?lib?PeerChat.Store.Sqlite.dll"
        $output | Should -Contain 'HISTORY 1 True bob: kept in the store'
    }

    It 'ships SQLite for linux-x64, linux-arm64, win-x64 and osx-arm64 only, in dependencies/' {
        $folder = Join-Path $TestDrive 'unpacked'
        [IO.Compression.ZipFile]::ExtractToDirectory($env:PEERCHAT_PACKAGE_PATH, $folder)
        $files = Get-ChildItem $folder -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($folder, $_.FullName).Replace('\', '/') }

        $files | Where-Object { $_ -like 'dependencies/runtimes/*/native/*' } | Sort-Object | Should -Be @(
            'dependencies/runtimes/linux-arm64/native/libe_sqlite3.so'
            'dependencies/runtimes/linux-x64/native/libe_sqlite3.so'
            'dependencies/runtimes/osx-arm64/native/libe_sqlite3.dylib'
            'dependencies/runtimes/win-x64/native/e_sqlite3.dll'
        )
        foreach ($file in 'PeerChat.Store.Sqlite.dll', 'Microsoft.Data.Sqlite.dll', 'SQLitePCLRaw.core.dll', 'SQLitePCLRaw.provider.e_sqlite3.dll', 'SQLitePCLRaw.batteries_v2.dll') {
            $files | Should -Contain "dependencies/$file"
        }
        # Beside PeerChat.PowerShell.dll they would load in the default context, where another module's SQLite clashes.
        $files | Where-Object { $_ -notlike '*/*' -and $_ -match 'Sqlite' } | Should -BeNullOrEmpty
        $files | Should -Not -Contain 'dependencies/PeerChat.Core.dll'
    }

    It 'ships the Redis store and StackExchange.Redis in dependencies/ only' {
        $folder = Join-Path $TestDrive 'unpacked-redis'
        [IO.Compression.ZipFile]::ExtractToDirectory($env:PEERCHAT_PACKAGE_PATH, $folder)
        $files = Get-ChildItem $folder -Recurse -File | ForEach-Object { [IO.Path]::GetRelativePath($folder, $_.FullName).Replace('\', '/') }

        foreach ($file in 'PeerChat.Cluster.Redis.dll', 'StackExchange.Redis.dll', 'RESPite.dll', 'System.IO.Hashing.dll') {
            $files | Should -Contain "dependencies/$file"
        }
        # Beside PeerChat.PowerShell.dll they would load in the default context, where another module's copy clashes.
        $files | Where-Object { $_ -notlike '*/*' -and $_ -match 'Redis|RESPite|Hashing' } | Should -BeNullOrEmpty
    }

    It 'ships PeerChat.Core and the store compiled ahead of time for the four platforms, beside portable copies' {
        $folder = Join-Path $TestDrive 'unpacked-r2r'
        [IO.Compression.ZipFile]::ExtractToDirectory($env:PEERCHAT_PACKAGE_PATH, $folder)
        # The PE machine of ReadyToRun code: the architecture's, XORed with the OS's (none for Windows).
        $machines = @{ 'linux-x64' = 0x8664 -bxor 0x7B79; 'linux-arm64' = 0xAA64 -bxor 0x7B79; 'win-x64' = 0x8664; 'osx-arm64' = 0xAA64 -bxor 0x4644 }
        $describe = {
            param($path)
            $stream = [IO.File]::OpenRead($path)
            try {
                $headers = [Reflection.PortableExecutable.PEReader]::new($stream).PEHeaders
                $compiled = $headers.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0
                if ($compiled) { "compiled $([int]$headers.CoffHeader.Machine)" } else { 'portable' }
            }
            finally { $stream.Dispose() }
        }
        foreach ($runtime in $machines.Keys) {
            foreach ($file in "runtimes/$runtime/lib/PeerChat.Core.dll", "dependencies/runtimes/$runtime/lib/PeerChat.Store.Sqlite.dll") {
                & $describe (Join-Path $folder $file) | Should -Be "compiled $($machines[$runtime])" -Because $file
            }
        }
        (Get-ChildItem (Join-Path $folder 'runtimes') -Directory).Name | Sort-Object | Should -Be @('linux-arm64', 'linux-x64', 'osx-arm64', 'win-x64')
        # Every other platform loads these (compiled code for another platform does not load at all).
        foreach ($file in 'PeerChat.Core.dll', 'PeerChat.PowerShell.dll', 'PeerChat.ReadyToRun.dll', 'dependencies/PeerChat.Store.Sqlite.dll') {
            & $describe (Join-Path $folder $file) | Should -Be 'portable' -Because $file
        }
    }

    It 'works from its portable assemblies on a platform it has no compiled copies for' {
        $module = Join-Path $TestDrive 'portable-only'
        Copy-Item (Split-Path $env:PEERCHAT_MODULE_PATH) $module -Recurse
        Remove-Item -Recurse (Join-Path $module 'runtimes'), (Join-Path $module 'dependencies/runtimes/*/lib')
        $script = @'
$ErrorActionPreference = 'Stop'
Import-Module $env:PEERCHAT_PORTABLE_MODULE
$folder = Join-Path ([IO.Path]::GetTempPath()) "portable-$(Get-Random)"
$server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $folder 'users.csv')
$credential = { param($n) [pscredential]::new($n, (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force)) }
$bob = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'bob') -SignUp
$null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (& $credential 'alice') -SignUp
Send-PeerChatMessage -UserName bob -Message 'portable'
"RECEIVED $((Receive-PeerChatMessage -Session $bob -Wait -Timeout '00:00:10').Text)"
$null = Send-PeerChatBroadcast -Session $bob -Message 'stored' -PassThru
"HISTORY $(@(Get-PeerChatHistory -Session $bob).Count)"
foreach ($name in 'PeerChat.Core', 'PeerChat.Store.Sqlite') { "LOADED $(([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq $name }).Location)" }
Get-PeerChatSession | Disconnect-PeerChat -Confirm:$false
$server | Stop-PeerChatServer
Remove-Item -Recurse $folder
'@
        $env:PEERCHAT_PORTABLE_MODULE = Join-Path $module 'PeerChat.psd1'
        try { $output = & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $script 2>&1 }
        finally { Remove-Item Env:PEERCHAT_PORTABLE_MODULE }

        $output | Should -Contain 'RECEIVED portable'
        $output | Should -Contain 'HISTORY 1'
        $output | Should -Contain "LOADED $(Join-Path $module 'PeerChat.Core.dll')"
        $output | Should -Contain "LOADED $(Join-Path $module 'dependencies/PeerChat.Store.Sqlite.dll')"
    }
}
