# Accounts in a cluster (docs/CLUSTER.md): Register-PeerChatUser and Import-PeerChatUser -Cluster with no node running, and
# moving a single server's users.csv and messages.db into a cluster with Copy-PeerChatStore, on a
# redis-server of the test's own whose password must never show.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/RedisTestHelpers.ps1
    $script:Missing = Get-MissingRedis
    $script:RedisPassword = 'redis-secret-u14'
}

Describe 'Accounts in a cluster' -Tag Integration {
    BeforeAll {
        if (-not $script:Missing) {
            $script:Redis = Start-TestRedis -Password $script:RedisPassword
            $script:Cluster = "127.0.0.1:$($script:Redis.Port),password=$($script:RedisPassword)"
        }
    }

    AfterAll {
        Remove-TestServers
        Stop-TestRedis $script:Redis
    }

    It 'Register-PeerChatUser -Cluster makes an account that logs in on a node started afterwards' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $account = Register-PeerChatUser -Cluster $script:Cluster -Credential (New-TestCredential dana) -HashIterations 1000 -PassThru -ErrorAction Stop
        Register-PeerChatUser -Cluster $script:Cluster -Credential (New-TestCredential DANA) -HashIterations 1000 -ErrorAction SilentlyContinue -ErrorVariable taken
        Register-PeerChatUser -Cluster $script:Cluster -Credential (New-TestCredential eve 'short') -ErrorAction SilentlyContinue -ErrorVariable tooShort
        $node = Start-TestServer @{ Cluster = $script:Cluster; NodeName = 'node-u1' }

        $session = Connect-PeerChat -ComputerName 127.0.0.1 -Port $node.Port -Credential (New-TestCredential dana) -ErrorAction Stop

        $session.UserName | Should -Be 'dana'
        $account.ComputerName | Should -Be "127.0.0.1:$($script:Redis.Port)"
        $taken.FullyQualifiedErrorId | Should -Be 'UserExists,PeerChat.PowerShell.Commands.RegisterPeerChatUserCommand'
        $tooShort.FullyQualifiedErrorId | Should -Be 'InvalidPassword,PeerChat.PowerShell.Commands.RegisterPeerChatUserCommand'
        $node.UserStorePath | Should -BeNullOrEmpty
        ($account, $taken, $node | Format-List * | Out-String) | Should -Not -Match $script:RedisPassword
    }

    It 'refuses -Cluster with -ComputerName, and a Redis that cannot be reached, with stable ErrorIds' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        { Register-PeerChatUser -Cluster $script:Cluster -ComputerName 127.0.0.1 -Credential (New-TestCredential frank) } |
            Should -Throw -ErrorId 'ConflictingClusterParameters,PeerChat.PowerShell.Commands.RegisterPeerChatUserCommand'
        $failure = { Register-PeerChatUser -Cluster "127.0.0.1:$($script:Redis.Port),password=not-the-password-43" -Credential (New-TestCredential frank) -HashIterations 1000 } |
            Should -Throw -ErrorId 'ClusterUnavailable,PeerChat.PowerShell.Commands.RegisterPeerChatUserCommand' -PassThru
        ($failure | Out-String) + $failure.Exception.ToString() | Should -Not -Match 'not-the-password-43'
        { Start-TestServer @{ Cluster = $script:Cluster; UserStorePath = (Join-Path $TestDrive 'x.csv') } } |
            Should -Throw -ErrorId 'ConflictingUserStoreParameters,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
    }

    It 'Import-PeerChatUser -Cluster imports the original program''s accounts, which then log in on a node' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $original = Join-Path $TestDrive 'original.csv'
        Set-Content -Path $original -Value "grace,first-password`nheidi,second-password`nbad name,x`n" -NoNewline
        $results = Import-PeerChatUser -Path $original -Cluster $script:Cluster -HashIterations 1000 -WarningAction SilentlyContinue -ErrorAction Stop
        $again = Import-PeerChatUser -Path $original -Cluster $script:Cluster -HashIterations 1000 -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop
        $node = Start-TestServer @{ Cluster = $script:Cluster; NodeName = 'node-u3' }

        $session = Connect-PeerChat -ComputerName 127.0.0.1 -Port $node.Port -Credential (New-TestCredential grace 'first-password') -ErrorAction Stop

        $session.UserName | Should -Be 'grace'
        ($results | Where-Object Status -EQ 'Imported').UserName | Should -Be @('grace', 'heidi')
        ($results | Where-Object Status -EQ 'Skipped').LineNumber | Should -Be 3
        @($again | Where-Object Status -EQ 'Imported').Count | Should -Be 0
        ($again | Where-Object UserName -EQ 'heidi').Reason | Should -BeLike "*already has an account in the cluster at 127.0.0.1:$($script:Redis.Port)*"
        ($results, $again, $warnings | Out-String) | Should -Not -Match $script:RedisPassword
    }

    It 'moves a single server into the cluster: users log in on a node, read the history and get their offline messages' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        # A single server, used through the cmdlets: accounts, a room, broadcasts, and a direct message queued for bob.
        $folder = Join-Path $TestDrive 'single'
        $users = Join-Path $folder 'users.csv'
        $single = Start-TestServer @{ UserStorePath = $users; MessageStorePath = (Join-Path $folder 'messages.db') }
        'alice', 'bob', 'carol' | ForEach-Object { Register-PeerChatUser -ComputerName 127.0.0.1 -Port $single.Port -Credential (New-TestCredential $_) -ErrorAction Stop }
        $alice = Connect-PeerChat -ComputerName 127.0.0.1 -Port $single.Port -Credential (New-TestCredential alice) -ErrorAction Stop
        Join-PeerChatRoom -Session $alice -Room Ops
        $broadcasts = 1..5 | ForEach-Object { Send-PeerChatBroadcast -Session $alice -Message "hello $_" -PassThru }
        $inRoom = 1..3 | ForEach-Object { Send-PeerChatBroadcast -Session $alice -Room Ops -Message "ops $_" -PassThru }
        $queued = 'while you were out', 'and again' | ForEach-Object { Send-PeerChatMessage -Session $alice -UserName bob -Message $_ -PassThru }
        $before = @(Get-PeerChatHistory -Session $alice -All)
        $beforeRoom = @(Get-PeerChatHistory -Session $alice -Room Ops -All)
        Disconnect-PeerChat -Session $alice
        Stop-PeerChatServer -Name $single.Name

        $result = Copy-PeerChatStore -Cluster $script:Cluster -UserStorePath $users -ErrorAction Stop
        $node = Start-TestServer @{ Cluster = $script:Cluster; NodeName = 'node-u2' }
        $alice = Connect-PeerChat -ComputerName 127.0.0.1 -Port $node.Port -Credential (New-TestCredential alice) -ErrorAction Stop
        $after = @(Get-PeerChatHistory -Session $alice -All)
        $afterRoom = @(Get-PeerChatHistory -Session $alice -Room Ops -All)
        $bob = Connect-PeerChat -ComputerName 127.0.0.1 -Port $node.Port -Credential (New-TestCredential bob) -ErrorAction Stop
        $offline = @(Receive-PeerChatMessage -Session $bob -Wait -Count 2 -Timeout '00:00:10')

        ($result.Accounts, $result.Rooms, $result.Messages, $result.Queued) | Should -Be @(3, 1, 10, 2)
        $result.Cluster | Should -Be "127.0.0.1:$($script:Redis.Port)"
        $before.MessageId | Should -Be $broadcasts.MessageId
        $after.MessageId | Should -Be $before.MessageId
        ($after | ForEach-Object { '{0} {1} {2:o}' -f $_.From, $_.Text, $_.SentAt }) | Should -Be ($before | ForEach-Object { '{0} {1} {2:o}' -f $_.From, $_.Text, $_.SentAt })
        $afterRoom.MessageId | Should -Be $inRoom.MessageId
        $afterRoom.MessageId | Should -Be $beforeRoom.MessageId
        $offline.MessageId | Should -Be $queued.MessageId
        $offline.Offline | Should -Be @($true, $true)
        (Get-PeerChatRoom -Session $alice).Room | Should -Contain 'Ops'

        # Run again, it copies nothing twice.
        $again = Copy-PeerChatStore -Cluster $script:Cluster -UserStorePath $users -WarningAction SilentlyContinue -ErrorAction Stop
        ($again.Accounts, $again.AccountsSkipped.Count, $again.Messages, $again.AlreadyCopied) | Should -Be @(0, 3, 0, 10)
        ($result, $again | Format-List * | Out-String) | Should -Not -Match $script:RedisPassword
    }
}
