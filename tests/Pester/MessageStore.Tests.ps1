# Start-PeerChatServer's message store: where it is, that one file serves one server, that a file
# which is not PeerChat's is refused and left untouched, and that the store's SQLite loads in the
# module's own load context beside another version of SQLite loaded first.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    $script:StoreError = 'PeerChat.PowerShell.Commands.StartPeerChatServerCommand'

    function Start-StoreServer([string] $MessageStorePath, [hashtable] $Parameters = @{}) {
        Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $TestDrive "u-$(Get-Random).csv") `
            -MessageStorePath $MessageStorePath -ErrorAction Stop @Parameters
    }

    # A PeerChat store is a SQLite file whose header carries PeerChat's application_id ("PCht").
    # SQLite writes the header into the file itself at the checkpoint when the store closes.
    function Test-PeerChatStoreFile([string] $Path) {
        $bytes = [IO.File]::ReadAllBytes($Path)
        $bytes.Length -ge 100 -and
            [Text.Encoding]::ASCII.GetString($bytes, 0, 16) -eq "SQLite format 3`0" -and
            [Text.Encoding]::ASCII.GetString($bytes, 68, 4) -eq 'PCht'
    }

    function New-ClosedStore {
        $path = Join-Path $TestDrive "closed-$(Get-Random).db"
        Start-StoreServer $path | Remove-Job -Force
        $path
    }

    # Microsoft.Data.Sqlite 9.0.10 and SQLitePCLRaw 2.1.11 (build/tools/Tools.csproj downloads them),
    # copied with their native e_sqlite3 into one folder, where a pwsh can load them as another
    # module would: not the versions the message store ships (10.0.15, 2.1.13).
    function Get-OtherSqlite {
        $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Split-Path (Split-Path (Split-Path (Get-Module Pester).ModuleBase)) }
        $runtime = [Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
        $folder = Join-Path $TestDrive "other-sqlite-$(Get-Random)"
        New-Item -ItemType Directory $folder | Out-Null
        $files = @(
            "microsoft.data.sqlite.core/9.0.10/lib/net8.0/Microsoft.Data.Sqlite.dll"
            "sqlitepclraw.core/2.1.11/lib/netstandard2.0/SQLitePCLRaw.core.dll"
            "sqlitepclraw.provider.e_sqlite3/2.1.11/lib/net6.0/SQLitePCLRaw.provider.e_sqlite3.dll"
            "sqlitepclraw.bundle_e_sqlite3/2.1.11/lib/netstandard2.0/SQLitePCLRaw.batteries_v2.dll"
            "sqlitepclraw.lib.e_sqlite3/2.1.11/runtimes/$runtime/native/*e_sqlite3*"
        )
        foreach ($file in $files) {
            $source = Join-Path $packages $file
            if (-not (Test-Path $source)) { throw "$source is missing: restore build/tools/Tools.csproj (build.ps1 Test does)." }
            Copy-Item $source $folder
        }
        $folder
    }

    # Script text that loads the other SQLite into the default context and opens a connection with it.
    function Get-OtherSqliteLoader([string] $Folder) {
        @"
foreach (`$name in 'SQLitePCLRaw.core', 'SQLitePCLRaw.provider.e_sqlite3', 'SQLitePCLRaw.batteries_v2', 'Microsoft.Data.Sqlite') { Add-Type -Path (Join-Path '$Folder' "`$name.dll") }
`$other = [Microsoft.Data.Sqlite.SqliteConnection]::new('Data Source=:memory:')
`$other.Open()
function Get-OtherVersion { `$command = `$other.CreateCommand(); `$command.CommandText = 'select sqlite_version()'; `$command.ExecuteScalar() }
"@
    }

    function Invoke-FreshPwsh([string] $Script) {
        & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $Script 2>&1 | ForEach-Object { "$_" }
    }
}

Describe 'Start-PeerChatServer with a message store' -Tag Integration {
    AfterEach {
        Remove-TestServers
    }

    It 'creates a PeerChat store at -MessageStorePath, shows it on the job, and frees it when the server stops' {
        $path = Join-Path $TestDrive "store-$(Get-Random)/messages.db"

        $server = Start-StoreServer $path
        $server.MessageStorePath | Should -Be $path
        Test-Path $path | Should -BeTrue
        $server | Stop-PeerChatServer
        $again = Start-StoreServer $path

        Test-PeerChatStoreFile $path | Should -BeTrue
        $again.JobStateInfo.State | Should -Be 'Running'
    }

    It 'keeps its store in messages.db beside the user store by default' {
        $folder = Join-Path $TestDrive "default-$(Get-Random)"

        $server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $folder 'users.csv') -ErrorAction Stop

        $server.MessageStorePath | Should -Be (Join-Path $folder 'messages.db')
        Test-Path (Join-Path $folder 'messages.db') | Should -BeTrue
    }

    It 'refuses a second server on one store file with MessageStoreInUse, and the first runs on' {
        $path = Join-Path $TestDrive "shared-$(Get-Random).db"
        $first = Start-StoreServer $path

        { Start-StoreServer $path } | Should -Throw -ErrorId "MessageStoreInUse,$StoreError"
        $failure = { Start-StoreServer $path } | Should -Throw -PassThru
        $failure.Exception.Message | Should -BeLike "*$path*in use*"
        $first.JobStateInfo.State | Should -Be 'Running'
        @(Get-Job | Where-Object PSJobTypeName -EQ 'PeerChatServer').Count | Should -Be 1
    }

    It 'frees the store of a server that could not start (port in use) and of a removed job' {
        $first = Start-TestServer
        $path = Join-Path $TestDrive "port-$(Get-Random).db"

        $failed = Start-PeerChatServer -Port $first.Port -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $TestDrive 'p.csv') -MessageStorePath $path -ErrorAction SilentlyContinue -ErrorVariable portInUse
        $afterFailure = Start-StoreServer $path
        $afterFailure | Remove-Job -Force
        $afterRemoval = Start-StoreServer $path

        $portInUse[0].FullyQualifiedErrorId | Should -Be "PortInUse,$StoreError"
        $failed.JobStateInfo.State | Should -Be 'Failed'
        $afterFailure.JobStateInfo.State | Should -Be 'Stopped'
        $afterRemoval.JobStateInfo.State | Should -Be 'Running'
    }

    It 'refuses <Case> with MessageStoreUnreadable and leaves the file as it was' -ForEach @(
        @{ Case = 'a text file'; Make = { $p = Join-Path $TestDrive "text-$(Get-Random).db"; Set-Content $p ('not a database ' * 100); $p } }
        @{ Case = 'a damaged PeerChat store'; Make = {
                $p = New-ClosedStore
                # Page 1 after the 100-byte header holds the schema: garbage there is what a torn disk leaves.
                $stream = [IO.File]::Open($p, 'Open', 'ReadWrite')
                try { $stream.Position = 100; $garbage = [byte[]]::new(400); [Random]::new(7).NextBytes($garbage); $stream.Write($garbage, 0, $garbage.Length) }
                finally { $stream.Dispose() }
                $p
            }
        }
    ) {
        $path = & $Make
        $before = (Get-FileHash $path).Hash
        $length = (Get-Item $path).Length

        $failure = { Start-StoreServer $path } | Should -Throw -ErrorId "MessageStoreUnreadable,$StoreError" -PassThru

        $failure.Exception.Message | Should -BeLike "*$path*"
        (Get-FileHash $path).Hash | Should -Be $before
        (Get-Item $path).Length | Should -Be $length
        # SQLite's read-only look may leave an empty -wal and -shm beside a WAL-mode file: nothing written.
        if (Test-Path "$path-wal") { (Get-Item "$path-wal").Length | Should -Be 0 }
        @(Get-Job | Where-Object PSJobTypeName -EQ 'PeerChatServer').Count | Should -Be 0
    }

    It 'refuses another application''s SQLite database with MessageStoreUnreadable and leaves it as it was' {
        $path = Join-Path $TestDrive "foreign-$(Get-Random).db"
        $made = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
$(Get-OtherSqliteLoader (Get-OtherSqlite))
`$file = [Microsoft.Data.Sqlite.SqliteConnection]::new('Data Source=$path;Pooling=False')
`$file.Open()
`$command = `$file.CreateCommand()
`$command.CommandText = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me')"
`$null = `$command.ExecuteNonQuery()
`$file.Close()
'MADE'
"@
        $made | Should -Contain 'MADE'
        $before = (Get-FileHash $path).Hash

        $failure = { Start-StoreServer $path } | Should -Throw -ErrorId "MessageStoreUnreadable,$StoreError" -PassThru

        $failure.Exception.Message | Should -Match 'another application'
        (Get-FileHash $path).Hash | Should -Be $before
    }

    It 'fails with MessageStoreUnavailable where the file cannot be made, naming it' {
        $notAFolder = Join-Path $TestDrive "plain-$(Get-Random).txt"
        Set-Content $notAFolder 'a file, not a folder'
        $path = Join-Path $notAFolder 'messages.db'

        $failure = { Start-StoreServer $path } | Should -Throw -ErrorId "MessageStoreUnavailable,$StoreError" -PassThru

        "$failure" | Should -BeLike "*message store '$path'*"
        @(Get-Job | Where-Object PSJobTypeName -EQ 'PeerChatServer').Count | Should -Be 0
    }

    It 'opens no store with -WhatIf' {
        $folder = Join-Path $TestDrive "whatif-$(Get-Random)"

        Start-PeerChatServer -Port 0 -UserStorePath (Join-Path $folder 'users.csv') -WhatIf

        Test-Path $folder | Should -BeFalse
    }

    It 'runs without a file with -NoMessageStore, and refuses it with a store parameter' {
        $folder = Join-Path $TestDrive "none-$(Get-Random)"

        $server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $folder 'users.csv') -NoMessageStore -ErrorAction Stop

        $server.JobStateInfo.State | Should -Be 'Running'
        $server.MessageStorePath | Should -BeNullOrEmpty
        @(Get-ChildItem $folder).Name | Should -Be 'users.csv'
        { Start-PeerChatServer -Port 0 -NoMessageStore -MessageStorePath (Join-Path $folder 'm.db') -UserStorePath (Join-Path $folder 'users.csv') -ErrorAction Stop } |
            Should -Throw -ErrorId "ConflictingMessageStoreParameters,$StoreError"
        { Start-PeerChatServer -Port 0 -NoMessageStore -OfflineQueueLimit 5 -UserStorePath (Join-Path $folder 'users.csv') -ErrorAction Stop } |
            Should -Throw -ErrorId "ConflictingMessageStoreParameters,$StoreError"
        @(Get-ChildItem $folder).Name | Should -Be 'users.csv'
    }

    It 'refuses store settings out of range, from a parameter and from a file' {
        $file = Join-Path $TestDrive "bad-$(Get-Random).psd1"
        Set-Content $file "@{ OfflineQueueLimit = 0 }"

        { Start-StoreServer (Join-Path $TestDrive 'r.db') @{ OfflineQueueLimit = 0 } } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
        { Start-StoreServer (Join-Path $TestDrive 'r.db') @{ MessageStoreMaxSize = 1000 } } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
        $failure = { Start-StoreServer (Join-Path $TestDrive 'r.db') @{ Configuration = $file } } | Should -Throw -ErrorId "InvalidServerSetting,$StoreError" -PassThru
        $failure.Exception.Message | Should -BeLike "$file*OfflineQueueLimit*"
    }

    It 'takes the store''s place and settings from a configuration file, which New-PeerChatServerConfiguration writes' {
        $written = Join-Path $TestDrive "every-$(Get-Random).psd1"
        $null = New-PeerChatServerConfiguration $written
        $settings = Import-PowerShellDataFile $written
        $path = Join-Path $TestDrive "from-file-$(Get-Random).db"
        $file = Join-Path $TestDrive "store-$(Get-Random).psd1"
        Set-Content $file "@{ MessageStorePath = '$path'; HistoryMaxAge = 3600; OfflineQueueLimit = 5 }"
        $none = Join-Path $TestDrive "none-$(Get-Random).psd1"
        Set-Content $none "@{ NoMessageStore = `$true }"

        $fromFile = Start-PeerChatServer -Configuration $file -Port 0 -ListenAddress 127.0.0.1 -UserStorePath (Join-Path $TestDrive 'f.csv') -ErrorAction Stop
        $without = Start-PeerChatServer -Configuration $none -Port 0 -ListenAddress 127.0.0.1 -UserStorePath (Join-Path $TestDrive "n-$(Get-Random)/u.csv") -ErrorAction Stop

        $fromFile.MessageStorePath | Should -Be $path
        Test-Path $path | Should -BeTrue
        $without.MessageStorePath | Should -BeNullOrEmpty
        foreach ($name in [PeerChat.Core.ServerSettings]::Store.Name + 'NoMessageStore') {
            $settings.Keys | Should -Contain $name -Because "$name is a message store setting"
        }
        $settings.HistoryMaxAge | Should -Be '30.00:00:00'
        $settings.OfflineQueueLimit | Should -Be 1000
        (Get-Content -Raw $written) | Should -Match '# Each conversation keeps at most this many messages, the newest\.\s+HistoryMaxPerConversation = 10000'
    }
}

Describe 'The message store''s settings, from Start-PeerChatServer to the store' -Tag Integration {
    AfterEach {
        Remove-TestServers
    }

    It '-OfflineQueueLimit: only the newest wait for a user who is offline' {
        $server = Start-TestServer -Settings @{ OfflineQueueLimit = 2 }
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'bob')
        'first', 'second', 'third' | ForEach-Object { Send-PeerChatMessage -Session $alice -UserName bob -Message $_ }

        $bob = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'bob')
        Send-PeerChatBroadcast -Session $alice -Message 'fence'
        $seen = @()
        for ($i = 0; $i -lt 10 -and 'fence' -notin $seen.Text; $i++) { $seen += @(Receive-PeerChatMessage -Session $bob -Wait -Timeout '00:00:05') }

        ($seen | Where-Object Offline).Text | Should -Be @('second', 'third')
    }

    It '-HistoryMaxPerConversation: retention trims each conversation to the newest, in the background' {
        # RetentionInterval comes from a configuration file (a store setting without a parameter),
        # short here so that the background pass, which no event announces, comes within the wait.
        $file = Join-Path $TestDrive "retention-$(Get-Random).psd1"
        Set-Content $file "@{ RetentionInterval = 0.2 }"
        $server = Start-TestServer -Settings @{ HistoryMaxPerConversation = 3; Configuration = $file }
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        1..6 | ForEach-Object { $null = Send-PeerChatBroadcast -Session $alice -Message "line $_" }

        Wait-Until { @(Get-PeerChatHistory -Session $alice -All).Count -le 3 } -Because 'retention trims the history to 3' -Timeout '00:00:10'

        (Get-PeerChatHistory -Session $alice -All).Text | Should -Be @('line 4', 'line 5', 'line 6')
    }
}

Describe 'The message store''s SQLite' -Tag Integration {
    It 'loads in the module''s own context, beside another version of SQLite loaded first, and both work' {
        $path = Join-Path $TestDrive "beside-$(Get-Random).db"
        $output = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
$(Get-OtherSqliteLoader (Get-OtherSqlite))
"OTHER BEFORE `$(Get-OtherVersion)"
Import-Module '$env:PEERCHAT_MODULE_PATH'
`$server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath '$TestDrive/beside.csv' -MessageStorePath '$path'
"STATE `$(`$server.JobStateInfo.State)"
try { `$null = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -UserStorePath '$TestDrive/beside2.csv' -MessageStorePath '$path' } catch { "SECOND `$(`$_.FullyQualifiedErrorId)" }
`$credential = [pscredential]::new('carol', (ConvertTo-SecureString 'correct horse battery' -AsPlainText -Force))
`$carol = Connect-PeerChat -ComputerName 127.0.0.1 -Port `$server.Port -Credential `$credential -SignUp
`$null = Send-PeerChatBroadcast -Session `$carol -Message 'stored beside another SQLite'
"HISTORY `$((Get-PeerChatHistory -Session `$carol -Last 1).Text)"
`$carol | Disconnect-PeerChat -Confirm:`$false
"OTHER AFTER `$(Get-OtherVersion)"
foreach (`$assembly in [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -match '^(Microsoft\.Data\.Sqlite|SQLitePCLRaw\.core|PeerChat\.Core|PeerChat\.Store\.Sqlite)$' }) {
    "ASSEMBLY {0} {1} {2}" -f `$assembly.GetName().Name, `$assembly.GetName().Version.ToString(2), [Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$assembly).Name
}
`$server | Stop-PeerChatServer
"@

        $output | Should -Contain 'STATE Running' -Because ($output -join "`n")
        $output | Should -Contain "SECOND MessageStoreInUse,$StoreError"
        $output | Should -Contain 'HISTORY stored beside another SQLite'
        $output | Should -Contain 'OTHER AFTER 3.49.1'
        $output | Should -Contain 'ASSEMBLY Microsoft.Data.Sqlite 9.0 Default'
        $output | Should -Contain 'ASSEMBLY SQLitePCLRaw.core 2.1 Default'
        $output | Should -Contain 'ASSEMBLY Microsoft.Data.Sqlite 10.0 PeerChat.Dependencies'
        $output | Should -Contain 'ASSEMBLY PeerChat.Store.Sqlite 0.1 PeerChat.Dependencies'
        # One PeerChat.Core, the default context's: the store's IMessageStore is the server's.
        @($output | Where-Object { $_ -like 'ASSEMBLY PeerChat.Core *' }) | Should -Be 'ASSEMBLY PeerChat.Core 0.1 Default'
        @($output | Where-Object { $_ -like 'ASSEMBLY SQLitePCLRaw.core *' }).Count | Should -Be 2
        Test-PeerChatStoreFile $path | Should -BeTrue
    }

    It 'is not loaded at all by a server with -NoMessageStore' {
        $output = Invoke-FreshPwsh @"
Import-Module '$env:PEERCHAT_MODULE_PATH'
`$server = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath '$TestDrive/nostore/u.csv' -NoMessageStore
"STATE `$(`$server.JobStateInfo.State)"
"LOADED `$(@([AppDomain]::CurrentDomain.GetAssemblies().GetName().Name -match 'Sqlite').Count)"
`$server | Stop-PeerChatServer
"@

        $output | Should -Contain 'STATE Running' -Because ($output -join "`n")
        $output | Should -Contain 'LOADED 0'
    }
}
