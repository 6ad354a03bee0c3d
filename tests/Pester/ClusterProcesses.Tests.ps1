# Issue 14's fault test as an operator would meet it: three nodes, each a server started with
# Start-PeerChatServer -Cluster in a pwsh process of its own, on one redis-server; node B's process
# is killed with SIGKILL, so it leaves nothing behind in Redis on its way out.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/RedisTestHelpers.ps1
    . $PSScriptRoot/ChildClientHelpers.ps1
    $script:Missing = Get-MissingRedis
    $script:ModuleManifest = (Resolve-Path $modulePath).Path

    function Start-NodeProcess([string] $Name) {
        $arguments = (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', "$PSScriptRoot/cluster/Node.ps1",
            $script:ModuleManifest, "127.0.0.1:$($script:Redis.Port)", $Name
        $node = Start-ChildClient -FilePath 'dotnet' -Arguments $arguments -Name $Name
        $ready = Wait-ChildClientEvent $node { $_.event -eq 'ready' } -Because "$Name listens"
        $node | Add-Member -NotePropertyName Port -NotePropertyValue $ready.port -PassThru
    }
}

Describe 'Three node processes, one killed with SIGKILL' -Tag Integration {
    BeforeAll {
        if (-not $script:Missing) { $script:Redis = Start-TestRedis }
    }

    AfterAll {
        Remove-TestServers
        Remove-ChildClients
        Stop-TestRedis $script:Redis
    }

    It 'takes the killed node''s users offline within 30 s, queues their messages, and they read them in order on another node' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $a, $b, $c = 'node-a', 'node-b', 'node-c' | ForEach-Object { Start-NodeProcess $_ }
        $alice = Connect-TestUser -UserName alice -Port $a.Port
        $bob = Connect-TestUser -UserName bob -Port $b.Port
        $carol = Connect-TestUser -UserName carol -Port $c.Port
        Wait-Until { @(Get-PeerChatClient -Session $carol).Count -eq 3 } -Because 'node C lists the users of all three nodes'

        $b.Process.Kill()
        $killedAt = [datetime]::UtcNow
        Wait-Until { (@(Get-PeerChatClient -Session $alice).UserName -notcontains 'bob') -and (@(Get-PeerChatClient -Session $carol).UserName -notcontains 'bob') } `
            -Because 'nodes A and C take bob offline' -Timeout ([timespan]::FromSeconds(30))
        $offlineAfter = [datetime]::UtcNow - $killedAt
        $receipts = foreach ($k in 1..3) {
            Send-PeerChatMessage -Session $alice -UserName bob -Message "queued $k" -PassThru
            Send-PeerChatMessage -Session $carol -UserName bob -Message "from carol $k" -PassThru
        }
        Disconnect-PeerChat -Session $bob -Confirm:$false -ErrorAction SilentlyContinue
        $bobAgain = Connect-PeerChat -ComputerName 127.0.0.1 -Port $a.Port -Credential (New-TestCredential bob) -ErrorAction Stop
        $received = @(Receive-PeerChatMessage -Session $bobAgain -Wait -Count 6 -Timeout $TestTimeout)

        $offlineAfter | Should -BeLessThan ([timespan]::FromSeconds(30))
        $receipts.Queued | Sort-Object -Unique | Should -Be $true
        $received.Offline | Sort-Object -Unique | Should -Be $true
        @($received | Where-Object From -EQ alice).Text | Should -Be @('queued 1', 'queued 2', 'queued 3')
        @($received | Where-Object From -EQ carol).Text | Should -Be @('from carol 1', 'from carol 2', 'from carol 3')
        $received.MessageId | Should -Be @($receipts.MessageId)
        @(Get-PeerChatClient -Session $carol | Where-Object UserName -EQ bob).Node | Should -Be 'node-a'
    }
}

Describe 'Redis stopped for 10 s while three node processes serve' -Tag Integration {
    BeforeAll {
        if (-not $script:Missing) { $script:Redis = Start-TestRedis }
    }

    AfterAll {
        Remove-TestServers
        Remove-ChildClients
        Stop-TestRedis $script:Redis
    }

    It 'refuses what it cannot store with StoreUnavailable, keeps the sessions, and delivers and keeps every acknowledged message once' {
        if ($script:Missing) { Set-ItResult -Skipped -Because $script:Missing; return }
        $a, $b, $c = 'node-a', 'node-b', 'node-c' | ForEach-Object { Start-NodeProcess $_ }
        $alice = Connect-TestUser -UserName alice -Port $a.Port
        $bob = Connect-TestUser -UserName bob -Port $b.Port
        $carol = Connect-TestUser -UserName carol -Port $c.Port
        Wait-Until { @(Get-PeerChatClient -Session $alice).Count -eq 3 } -Because 'node A lists the users of all three nodes'
        $outcomes = [Collections.Generic.List[object]]::new()
        function Send-Numbered([string] $Text) {
            try {
                $receipt = Send-PeerChatBroadcast -Session $alice -Message $Text -PassThru -ErrorAction Stop
                $outcomes.Add([pscustomobject]@{ Text = $Text; MessageId = $receipt.MessageId; ErrorId = $null })
            }
            catch {
                $outcomes.Add([pscustomobject]@{ Text = $Text; MessageId = $null; ErrorId = $_.FullyQualifiedErrorId })
            }
        }

        foreach ($k in 1..5) { Send-Numbered "before $k" }
        Stop-TestRedisProcess $script:Redis
        $downSince = [datetime]::UtcNow
        $k = 0
        while ([datetime]::UtcNow - $downSince -lt [timespan]::FromSeconds(10) -and $k -lt 1000) {
            Send-Numbered "during $((++$k))"
            # Local users are still served while Redis is away.
            $null = Get-PeerChatClient -Session $bob -ErrorAction Stop
        }
        $script:Redis = Start-TestRedis -Again $script:Redis
        Wait-Until { Send-Numbered "after $((++$k))"; $outcomes[-1].MessageId } -Because 'a broadcast is taken again once Redis is back'
        foreach ($j in 1..5) { Send-Numbered "last $j" }
        $acknowledged = @($outcomes | Where-Object MessageId)
        $atBob, $atCarol = [Collections.Generic.List[object]]::new(), [Collections.Generic.List[object]]::new()
        Wait-Until {
            $atBob.AddRange(@(Receive-PeerChatMessage -Session $bob | Where-Object Kind -NE 'Notice'))
            $atCarol.AddRange(@(Receive-PeerChatMessage -Session $carol | Where-Object Kind -NE 'Notice'))
            $atBob.Count -ge $acknowledged.Count -and $atCarol.Count -ge $acknowledged.Count
        } -Because 'bob (node B) and carol (node C) have every acknowledged broadcast'
        $history = @(Get-PeerChatHistory -Session $carol -All)

        @($outcomes | Where-Object Text -Like 'before*').MessageId.Count | Should -Be 5
        $refused = @($outcomes | Where-Object { -not $_.MessageId })
        $refused.Count | Should -BeGreaterThan 0
        $refused.ErrorId | ForEach-Object { ($_ -split ',')[0] } | Sort-Object -Unique | Should -Be 'StoreUnavailable'
        foreach ($received in $atBob, $atCarol) {
            $received.MessageId | Should -Be $acknowledged.MessageId
        }
        $history.MessageId | Should -Be $acknowledged.MessageId
        (Get-PeerChatSession).State | Sort-Object -Unique | Should -Be 'Open'
    }
}
