# Import-PeerChatUser: the original program's users.csv, plain-text passwords, into hashed accounts.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function New-OriginalUsersFile {
        # Shaped like the original: root,root and toor,root, a duplicate name, a name with a space,
        # a line without comma, an empty line, bytes that are not UTF-8, a password with commas.
        $path = Join-Path $TestDrive "original-$(Get-Random).csv"
        $text = "root,root`ntoor,root`nROOT,again`nhas space,secret1`nno comma here`n`n"
        $bytes = [Text.Encoding]::UTF8.GetBytes($text) + [byte[]](0x62, 0x61, 0x64, 0xFF, 0x2C, 0x78, 0x0A) + [Text.Encoding]::UTF8.GetBytes("alice,s3cret,with,commas`n")
        [IO.File]::WriteAllBytes($path, $bytes)
        $path
    }
}

Describe 'Import-PeerChatUser' -Tag Integration {
    It 'imports the importable lines, reports the others, and never writes a password' {
        $original = New-OriginalUsersFile
        $store = Join-Path $TestDrive "store-$(Get-Random).csv"

        $results = Import-PeerChatUser -Path $original -UserStorePath $store -HashIterations 1000 -WarningVariable warnings -WarningAction SilentlyContinue

        ($results | Where-Object Status -EQ 'Imported').UserName | Should -Be @('root', 'toor', 'alice')
        $skipped = $results | Where-Object Status -EQ 'Skipped'
        $skipped.LineNumber | Should -Be @(3, 4, 5, 6, 7)
        $skipped[0].Reason | Should -Match 'earlier in the file'
        $skipped[1].Reason | Should -Match 'user name rule'
        $skipped[2].Reason | Should -Match 'no comma'
        $skipped[3].Reason | Should -Match 'empty'
        $skipped[4].Reason | Should -Match 'UTF-8'
        $warnings.Count | Should -Be 5
        $content = Get-Content -Raw $store
        $content | Should -Not -Match 'root,root'
        $content | Should -Not -Match 's3cret'
        ($content -split "`n" | Where-Object { $_ }) | ForEach-Object { $_ | Should -Match '^[A-Za-z0-9._-]+,pbkdf2-sha256\$1000\$' }
        ($results | Out-String) | Should -Not -Match 's3cret'
    }

    It 'writes nothing with -WhatIf' {
        $original = New-OriginalUsersFile
        $store = Join-Path $TestDrive "whatif-$(Get-Random).csv"

        $results = Import-PeerChatUser -Path $original -UserStorePath $store -HashIterations 1000 -WhatIf -WarningAction SilentlyContinue

        ($results | Where-Object Status -EQ 'WouldImport').UserName | Should -Be @('root', 'toor', 'alice')
        (Get-Item $store).Length | Should -Be 0
    }

    It 'hashes with the iterations the store''s accounts use, so an imported name''s wrong password costs what an unknown name does' {
        # On a server set to 1,000, accounts imported with the old default (600,000) answered a wrong
        # password in 118 ms against 1.3 ms for an unknown name: who has an account showed.
        $server = Start-TestServer
        try {
            $null = Connect-TestUser -UserName 'owner' -Port $server.Port
            $results = Import-PeerChatUser -Path (New-OriginalUsersFile) -UserStorePath $server.UserStorePath -WarningAction SilentlyContinue
            Import-PeerChatUser -Path (New-OriginalUsersFile) -UserStorePath $server.UserStorePath -HashIterations 2000 -WarningVariable mismatch -WarningAction SilentlyContinue | Out-Null

            ($results | Where-Object Status -EQ 'Imported').Count | Should -Be 3
            (Get-Content $server.UserStorePath | Where-Object { $_ }) | ForEach-Object { $_ | Should -Match ',pbkdf2-sha256\$1000\$' }
            $mismatch.Message | Where-Object { $_ -match 'use 1000 iterations; with 2000' } | Should -Not -BeNullOrEmpty
        }
        finally {
            Remove-TestServers
        }
    }

    It 'makes a store that others may read owner-only before it writes, and says so' -Skip:$IsWindows {
        $store = Join-Path $TestDrive "open-$(Get-Random).csv"
        Set-Content -Path $store -Value '' -NoNewline
        chmod 644 $store

        $null = Import-PeerChatUser -Path (New-OriginalUsersFile) -UserStorePath $store -HashIterations 1000 -WhatIf -WarningVariable warnings -WarningAction SilentlyContinue 6>$null

        (Get-Item $store).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        $warnings.Message | Where-Object { $_ -match 'was open to others \(mode 0644\); it is now owner-only' } | Should -Not -BeNullOrEmpty
    }

    It 'imports accounts that then log in, even into the store of a running server, and skips existing ones' {
        $original = New-OriginalUsersFile
        $server = Start-TestServer
        try {
            $results = Import-PeerChatUser -Path $original -UserStorePath $server.UserStorePath -HashIterations 1000 -WarningAction SilentlyContinue
            $again = Import-PeerChatUser -Path $original -UserStorePath $server.UserStorePath -HashIterations 1000 -WarningAction SilentlyContinue

            $root = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'root' -Password 'root')
            $alice = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'alice' -Password 's3cret,with,commas')

            ($results | Where-Object Status -EQ 'Imported').Count | Should -Be 3
            ($again | Where-Object Status -EQ 'Imported') | Should -BeNullOrEmpty
            ($again | Where-Object LineNumber -EQ 1).Reason | Should -Match 'already has an account'
            $root.UserName | Should -Be 'root'
            $alice.UserName | Should -Be 'alice'
        }
        finally {
            Remove-TestServers
        }
    }
}
