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
        $a = Start-PeerChatServer -Cluster "127.0.0.1:$($script:Redis.Port),password=redis-secret-7f3" -NodeName node-a -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -ErrorAction Stop
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

    It 'shows the node''s name and its cluster''s endpoints in Get-Job, never the password' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $e = Start-TestServer @{ Cluster = "127.0.0.1:$($script:Redis.Port),password=$($script:RedisPassword)"; NodeName = 'node-e' }

        $job = Get-Job -Id $e.Id
        $table = $job | Out-String -Width 200

        ($job.NodeName, $job.Cluster) | Should -Be @('node-e', "127.0.0.1:$($script:Redis.Port)")
        $table | Should -Match ([regex]::Escape("node-e@127.0.0.1:$($script:Redis.Port)"))
        $table + ($job | Format-List * | Out-String -Width 200) | Should -Not -Match $script:RedisPassword
    }

    It 'fails with ClusterUnavailable for a wrong password, without showing it' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $failure = { Start-TestServer @{ Cluster = "127.0.0.1:$($script:Redis.Port),password=not-the-password-42"; NodeName = 'node-c' } } |
            Should -Throw -ErrorId "ClusterUnavailable,$script:StartError" -PassThru

        $failure.Exception.Message | Should -BeLike "*127.0.0.1:$($script:Redis.Port)*"
        ($failure | Out-String) + $failure.Exception.ToString() | Should -Not -Match 'not-the-password-42'
    }

    It 'fails with ClusterDataUnusable on a Redis that holds another layout version, and leaves it untouched' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $other = Start-TestRedis
        try {
            $cli = (Get-Command redis-cli).Source
            & $cli -p $other.Port SET pc:version 99 | Should -Be 'OK'
            & $cli -p $other.Port SET pc:theirs 'kept' | Should -Be 'OK'

            $failure = { Start-TestServer @{ Cluster = "127.0.0.1:$($other.Port)"; NodeName = 'node-v' } } |
                Should -Throw -ErrorId "ClusterDataUnusable,$script:StartError" -PassThru

            $failure.Exception.Message | Should -BeLike '*version*'
            (& $cli -p $other.Port GET pc:version), (& $cli -p $other.Port GET pc:theirs) | Should -Be @('99', 'kept')
        }
        finally {
            Stop-TestRedis $other
        }
    }

    It 'refuses a second live node of the same name with NodeNameInUse, and the first runs on' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $cluster = "127.0.0.1:$($script:Redis.Port),password=$($script:RedisPassword)"
        $first = Start-TestServer @{ Cluster = $cluster; NodeName = 'node-f' }

        $failure = { Start-TestServer @{ Cluster = $cluster; NodeName = 'node-f' } } |
            Should -Throw -ErrorId "NodeNameInUse,$script:StartError" -PassThru

        $failure.Exception.Message | Should -BeLike "*'node-f'*heartbeat expires in*"
        $first.State | Should -Be 'Running'
        $fred = Connect-TestUser -UserName fred -Port $first.Port
        @(Get-PeerChatClient -Session $fred).Node | Should -Contain 'node-f'
    }

    It 'fails a running node''s job with NodeNameInUse once another node has taken its name' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $g = Start-TestServer @{ Cluster = "127.0.0.1:$($script:Redis.Port),password=$($script:RedisPassword)"; NodeName = 'node-g' }
        $null = Connect-TestUser -UserName gina -Port $g.Port
        # As a new node-g's start would once this one's heartbeat had expired (Redis away 10 s).
        $cli = (Get-Command redis-cli).Source
        & $cli -p $script:Redis.Port -a $script:RedisPassword --no-auth-warning SET pc:n:node-g 'another run' PX 60000 | Should -Be 'OK'

        Wait-Until { $g.State -eq 'Failed' } -Because 'node-g finds its name taken at its next heartbeat'

        $g.JobStateInfo.Reason.Message | Should -BeLike "*'node-g'*"
        @($g.Error | ForEach-Object FullyQualifiedErrorId) | Should -Contain 'NodeNameInUse'
        { Connect-TestUser -UserName gina -Port $g.Port } | Should -Throw
    }

    It 'refuses -Cluster with -MessageStorePath, and -NodeName without -Cluster' {
        { Start-TestServer @{ Cluster = '127.0.0.1:1'; MessageStorePath = (Join-Path $TestDrive 'm.db') } } |
            Should -Throw -ErrorId "ConflictingMessageStoreParameters,$script:StartError"
        { Start-TestServer @{ NodeName = 'node-d' } } | Should -Throw -ErrorId "NodeNameWithoutCluster,$script:StartError"
    }
}

Describe 'Three nodes act as one chat' -Tag Integration {
    BeforeAll {
        if (-not $script:Missing) { $script:Redis = Start-TestRedis }
    }

    AfterAll {
        Remove-TestServers
        Stop-TestRedis $script:Redis
    }

    It 'lists the users of every node with their Node, and a broadcast and a message cross nodes' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $nodes = 'node-a', 'node-b', 'node-c' | ForEach-Object { Start-TestServer @{ Cluster = "127.0.0.1:$($script:Redis.Port)"; NodeName = $_ } }
        $alice = Connect-TestUser -UserName alice -Port $nodes[0].Port
        $bob = Connect-TestUser -UserName bob -Port $nodes[1].Port
        $carol = Connect-TestUser -UserName carol -Port $nodes[2].Port
        Wait-Until { @(Get-PeerChatClient -Session $alice).Count -eq 3 } -Because 'node A lists the users of all three nodes'

        $clients = @(Get-PeerChatClient -Session $alice | Sort-Object UserName)
        $sent = Send-PeerChatBroadcast -Session $alice -Message 'from A to all' -PassThru
        $atBob = Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout
        $atCarol = Receive-PeerChatMessage -Session $carol -Wait -Timeout $TestTimeout
        $null = Send-PeerChatMessage -Session $carol -UserName bob -Message 'from C to B'
        $direct = Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout

        $clients.UserName | Should -Be @('alice', 'bob', 'carol')
        $clients.Node | Should -Be @('node-a', 'node-b', 'node-c')
        ($clients | Where-Object IsSelf).UserName | Should -Be 'alice'
        $sent.Recipients | Should -Be 2
        foreach ($message in $atBob, $atCarol) {
            ($message.MessageId, $message.From, $message.Text) | Should -Be @($sent.MessageId, 'alice', 'from A to all')
        }
        ($direct.From, $direct.Text) | Should -Be @('carol', 'from C to B')
    }

    It 'sends straight to a peer on another node with -Route Direct; one offline or without a listener gets the error of one node' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $d, $e = 'node-d', 'node-e' | ForEach-Object { Start-TestServer @{ Cluster = "127.0.0.1:$($script:Redis.Port)"; NodeName = $_ } }
        $dave = Connect-TestUser -UserName dave -Port $d.Port
        $erin = Connect-TestUser -UserName erin -Port $e.Port
        $null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $e.Port -Credential (New-TestCredential frank) -SignUp -NoDirect -ErrorAction Stop
        Wait-Until { @(Get-PeerChatClient -Session $dave | Where-Object UserName -in 'erin', 'frank').Count -eq 2 } -Because 'node D lists erin and frank of node E'

        $receipt = Send-PeerChatMessage -Session $dave -UserName erin -Message 'straight to E' -Route Direct -PassThru
        $atErin = Receive-PeerChatMessage -Session $erin -Wait -Timeout $TestTimeout
        Send-PeerChatMessage -Session $dave -UserName frank -Message 'no listener' -Route Direct -ErrorVariable noListener -ErrorAction SilentlyContinue
        Send-PeerChatMessage -Session $dave -UserName nobody-anywhere -Message 'offline' -Route Direct -ErrorVariable offline -ErrorAction SilentlyContinue

        $receipt.Route | Should -Be 'Direct'
        ($atErin.From, $atErin.Text, $atErin.Route) | Should -Be @('dave', 'straight to E', 'Direct')
        $d.Statistics.MessagesRelayed | Should -Be 0
        $noListener.FullyQualifiedErrorId | Should -BeLike 'PeerUnreachable,*'
        $offline.FullyQualifiedErrorId | Should -BeLike 'UserNotFound,*'
    }
}
