# Start-PeerChatServer -Cluster: nodes that keep their messages in one Redis (docs/CLUSTER.md), a
# redis-server of the test's own with a password that must never show.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/RedisTestHelpers.ps1
    $script:Missing = Get-MissingRedis
    $script:RedisPassword = 'redis-secret-7f3'
    $script:StartError = 'PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
}

Describe 'Start-PeerChatServer -Cluster' -Tag Integration {
    BeforeAll {
        if (-not $script:Missing) { $script:Redis = Start-TestRedis -Password $script:RedisPassword }
    }

    AfterAll {
        Remove-TestServers
        Stop-TestRedis $script:Redis
    }

    It 'runs two nodes on one Redis: a user on node A reads the history written through node B' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        # On one line: the job's command is the invocation's line, and this one holds the password.
        $a = Start-PeerChatServer -Cluster "127.0.0.1:$($script:Redis.Port),password=redis-secret-7f3" -NodeName node-a -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $TestDrive 'a.csv') -ErrorAction Stop
        $b = Start-TestServer @{ Cluster = "127.0.0.1:$($script:Redis.Port),password=$($script:RedisPassword)"; NodeName = 'node-b' }
        $bob = Connect-TestUser -UserName bob -Port $b.Port
        $sent = Send-PeerChatBroadcast -Session $bob -Message 'written through B' -PassThru
        $alice = Connect-TestUser -UserName alice -Port $a.Port

        $history = @(Get-PeerChatHistory -Session $alice)

        $history.Count | Should -Be 1
        ($history[0].MessageId, $history[0].From, $history[0].Text) | Should -Be @($sent.MessageId, 'bob', 'written through B')
        ($a.NodeName, $b.NodeName) | Should -Be @('node-a', 'node-b')
        $a.Cluster | Should -Be "127.0.0.1:$($script:Redis.Port)"
        $a.MessageStorePath | Should -BeNullOrEmpty
        # The job, its command line and what it wrote name Redis's endpoint, never the password.
        $a.Command | Should -BeLike '*-Cluster*'
        $shown = ($a, $b | Format-List * | Out-String) + ($a, $b | Receive-Job -Keep *>&1 | Out-String)
        $shown | Should -Not -Match $script:RedisPassword
    }

    It 'fails with ClusterUnavailable for a wrong password, without showing it' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $failure = { Start-TestServer @{ Cluster = "127.0.0.1:$($script:Redis.Port),password=not-the-password-42"; NodeName = 'node-c' } } |
            Should -Throw -ErrorId "ClusterUnavailable,$script:StartError" -PassThru

        $failure.Exception.Message | Should -BeLike "*127.0.0.1:$($script:Redis.Port)*"
        ($failure | Out-String) + $failure.Exception.ToString() | Should -Not -Match 'not-the-password-42'
    }

    It 'refuses -Cluster with -MessageStorePath, and -NodeName without -Cluster' {
        { Start-TestServer @{ Cluster = '127.0.0.1:1'; MessageStorePath = (Join-Path $TestDrive 'm.db') } } |
            Should -Throw -ErrorId "ConflictingMessageStoreParameters,$script:StartError"
        { Start-TestServer @{ NodeName = 'node-d' } } | Should -Throw -ErrorId "NodeNameWithoutCluster,$script:StartError"
    }
}
