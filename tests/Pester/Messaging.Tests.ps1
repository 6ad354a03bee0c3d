# Get-PeerChatClient, Send-PeerChatBroadcast, Send-PeerChatMessage and Receive-PeerChatMessage
# together: the original program's whole flow, and the pipeline an admin writes.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Send-PeerChatMessage' -Tag Unit {
    It 'binds -UserName by property name, with the aliases To and User' {
        $userName = (Get-Command Send-PeerChatMessage).Parameters['UserName']
        $userName.Aliases | Should -Contain 'To'
        $userName.Aliases | Should -Contain 'User'
        $userName.Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipelineByPropertyName | Should -Contain $true
    }
}

Describe 'Messaging' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        $bob = Connect-TestUser -UserName 'bob' -Port $server.Port
        $carol = Connect-TestUser -UserName 'carol' -Port $server.Port
    }

    AfterAll {
        Receive-Job $server | Format-Table | Out-String | Write-Host
        Remove-TestServers
    }

    AfterEach {
        # Nothing left over for the next test.
        foreach ($s in $alice, $bob, $carol) { $null = Receive-PeerChatMessage -Session $s }
    }

    It 'lists who is online, with the caller marked' {
        $clients = Get-PeerChatClient -Session $alice

        $clients.UserName | Should -Be @('alice', 'bob', 'carol')
        ($clients | Where-Object IsSelf).UserName | Should -Be 'alice'
        $clients[0].Address | Should -Match '^127\.0\.0\.1:\d+$'
        # What the idle rule counts, this list included; the table names it for what it is.
        ($clients | Where-Object IsSelf).RequestCount | Should -BeGreaterThan 0
        ($clients | Format-Table | Out-String -Width 120) | Should -Match 'Requests'
        (Get-PeerChatClient -Session $alice -UserName 'c*').UserName | Should -Be 'carol'
    }

    It 'delivers a broadcast to both others and not to the sender' {
        $receipt = Send-PeerChatBroadcast -Session $alice -Message 'hello all, from_alice' -PassThru

        $atBob = Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout
        $atCarol = Receive-PeerChatMessage -Session $carol -Wait -Timeout $TestTimeout

        $receipt.Recipients | Should -Be 2
        foreach ($m in $atBob, $atCarol) {
            $m.Kind | Should -Be 'Broadcast'
            $m.From | Should -Be 'alice'
            $m.Text | Should -Be 'hello all, from_alice'
            $m.MessageId | Should -Be $receipt.MessageId
        }
        Receive-PeerChatMessage -Session $alice | Should -BeNullOrEmpty
    }

    It 'sends one broadcast per pipeline input' {
        'a', 'b' | Send-PeerChatBroadcast -Session $alice

        $received = Receive-PeerChatMessage -Session $bob -Wait -Count 2 -Timeout $TestTimeout

        $received.Text | Should -Be @('a', 'b')
    }

    It 'Send-PeerChatBroadcast stops with a terminating InvalidData for -Data it cannot send, before sending any' {
        # Terminating: -ErrorAction SilentlyContinue would swallow a non-terminating error.
        { 'first', 'second' | Send-PeerChatBroadcast -Session $alice -Data @{ n = [double]::NaN } -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'InvalidData,PeerChat.PowerShell.Commands.SendPeerChatBroadcastCommand'
        Send-PeerChatBroadcast -Session $alice -Message 'after the refused data'

        # Messages arrive in order: had the refused ones gone out, they would come before this one.
        (Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout).Text | Should -Be 'after the refused data'
    }

    It 'Send-PeerChatMessage stops with a terminating InvalidData for -Data it cannot send, before sending any' {
        { 'bob', 'carol' | Send-PeerChatMessage -Session $alice -Message 'refused' -Data @{ n = [double]::NaN } -Route Relay -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'InvalidData,PeerChat.PowerShell.Commands.SendPeerChatMessageCommand'
        Send-PeerChatMessage -Session $alice -UserName 'bob' -Message 'after the refused data' -Route Relay

        (Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout).Text | Should -Be 'after the refused data'
    }

    It 'takes sessions from the pipeline: Get-PeerChatClient lists for each, Send-PeerChatBroadcast sends from it, Receive-PeerChatMessage reads each' {
        $lists = @($alice, $bob | Get-PeerChatClient)
        $bob | Send-PeerChatBroadcast 'from the piped bob'

        $read = @($carol, $alice | Receive-PeerChatMessage -Wait -Timeout $TestTimeout)

        $lists.Count | Should -Be 6
        $read.Count | Should -Be 2
        $read.Session.UserName | Should -Be @('carol', 'alice')
        $read.Text | Should -Be @('from the piped bob', 'from the piped bob')
        ($lists | Where-Object IsSelf).UserName | Should -Be @('alice', 'bob')
    }

    It 'says ClientNotFound for a name without wildcards that is not online, and nothing for an unmatched pattern' {
        $found = Get-PeerChatClient -Session $alice -UserName 'bob', 'nobody', 'zz*' -ErrorVariable missing -ErrorAction SilentlyContinue

        $found.UserName | Should -Be 'bob'
        $missing.Count | Should -Be 1
        $missing[0].FullyQualifiedErrorId | Should -Be 'ClientNotFound,PeerChat.PowerShell.Commands.GetPeerChatClientCommand'
        $missing[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $missing[0].TargetObject | Should -Be 'nobody'
    }

    It 'sends a message to one peer only, straight to the peer by default' {
        $relayedBefore = $server.Statistics.MessagesRelayed
        $receipt = Send-PeerChatMessage -Session $alice -UserName 'bob' -Message 'just for bob' -PassThru

        $atBob = Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout

        $receipt.Route | Should -Be 'Direct'
        $receipt.RoundTrip | Should -BeGreaterThan ([timespan]::Zero)
        $atBob.Kind | Should -Be 'Direct'
        $atBob.Route | Should -Be 'Direct'
        $atBob.From | Should -Be 'alice'
        $atBob.To | Should -Be 'bob'
        $atBob.Text | Should -Be 'just for bob'
        $server.Statistics.MessagesRelayed | Should -Be $relayedBefore
        Receive-PeerChatMessage -Session $carol | Should -BeNullOrEmpty
    }

    It 'sends through the server with -Route Relay' {
        $receipt = Send-PeerChatMessage -Session $alice -UserName 'bob' -Message 'relayed' -Route Relay -PassThru

        $atBob = Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout

        $receipt.Route | Should -Be 'Relay'
        $atBob.Route | Should -Be 'Relay'
        $atBob.Text | Should -Be 'relayed'
    }

    It 'shows each client''s PeerEndpoint: the address the server saw, with the session''s own port' {
        $listed = Get-PeerChatClient -Session $alice -UserName 'bob'

        $listed.PeerEndpoint | Should -Be "127.0.0.1:$($bob.DirectPort)"
    }

    It 'pipes Get-PeerChatClient into Send-PeerChatMessage; an unknown user is a non-terminating UserNotFound' {
        $targets = @(Get-PeerChatClient -Session $alice -UserName 'b*', 'c*') + [pscustomobject]@{ UserName = 'ghost' }

        $receipts = $targets | Send-PeerChatMessage -Session $alice -Message 'deploy done' -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue

        $receipts.To | Should -Be @('bob', 'carol')
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'UserNotFound,PeerChat.PowerShell.Commands.SendPeerChatMessageCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -Be 'ghost'
        (Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout).Text | Should -Be 'deploy done'
        (Receive-PeerChatMessage -Session $carol -Wait -Timeout $TestTimeout).Text | Should -Be 'deploy done'
    }

    It 'sends from the session that listed the clients it is given' {
        Get-PeerChatClient -Session $carol -UserName 'bob' | Send-PeerChatMessage -Message 'from the listing session'

        $received = Receive-PeerChatMessage -Session $bob -Wait -Timeout $TestTimeout

        $received.From | Should -Be 'carol'
    }

    It 'makes UserNotFound terminating with -ErrorAction Stop' {
        { Send-PeerChatMessage -Session $alice -UserName 'ghost' -Message 'x' -ErrorAction Stop } |
            Should -Throw -ErrorId 'UserNotFound,PeerChat.PowerShell.Commands.SendPeerChatMessageCommand'
    }

    It 'carries -Data hashtables intact: nested, with arrays' {
        $data = @{ build = 42; ok = $true; none = $null; ratio = 0.25; tags = @('x', 'y', 3); nested = @{ deeper = @{ list = @(@{ a = 1 }, @{ b = 'two' }) } } }

        Send-PeerChatMessage -Session $alice -UserName 'carol' -Message 'with data' -Data $data
        $received = Receive-PeerChatMessage -Session $carol -Wait -Timeout $TestTimeout

        $received.Data | Should -BeOfType [hashtable]
        $received.Data.build | Should -Be 42
        $received.Data.ok | Should -BeTrue
        $received.Data.ContainsKey('none') | Should -BeTrue
        $received.Data.none | Should -BeNullOrEmpty
        $received.Data.ratio | Should -Be 0.25
        $received.Data.tags | Should -Be @('x', 'y', 3)
        $received.Data.nested.deeper.list[0].a | Should -Be 1
        $received.Data.nested.deeper.list[1].b | Should -Be 'two'
        $received.Data.Keys | Sort-Object | Should -Be ($data.Keys | Sort-Object)
    }

    It 'keeps the types of -Data values: integers as Int32 or Int64, other numbers as Double, dates as UTC DateTime' {
        $when = [datetime]::new(2026, 11, 29, 7, 30, 15, 123, [DateTimeKind]::Utc).AddTicks(4567)
        $data = @{ small = 7; big = 5000000000; half = 1.5; money = [decimal]'2.25'; when = $when; offset = [datetimeoffset]::new($when).ToOffset('02:00'); text = 'plain' }

        Send-PeerChatMessage -Session $alice -UserName 'carol' -Message 'typed' -Data $data -Route Relay
        $received = (Receive-PeerChatMessage -Session $carol -Wait -Timeout $TestTimeout).Data

        $received.small | Should -BeOfType [int]
        $received.big | Should -BeOfType [long]
        $received.big | Should -Be 5000000000
        $received.half | Should -BeOfType [double]
        $received.half | Should -Be 1.5
        $received.money | Should -BeOfType [double]
        $received.money | Should -Be 2.25
        $received.when | Should -BeOfType [datetime]
        $received.when | Should -Be $when
        $received.when.Kind | Should -Be 'Utc'
        $received.offset | Should -Be $when
        $received.text | Should -BeOfType [string]
    }

    It 'Receive-PeerChatMessage -From takes only matching messages and leaves the rest' {
        Send-PeerChatMessage -Session $alice -UserName 'carol' -Message 'from alice'
        Send-PeerChatMessage -Session $bob -UserName 'carol' -Message 'from bob'
        Wait-Until { $carol.PendingMessages -ge 2 } 'both messages reached carol'

        $fromBob = Receive-PeerChatMessage -Session $carol -From 'b*' -Wait -Timeout $TestTimeout
        $rest = Receive-PeerChatMessage -Session $carol

        $fromBob.Text | Should -Be 'from bob'
        $rest.Text | Should -Be 'from alice'
    }

    It 'keeps the newest -InboxLimit messages, and Receive-PeerChatMessage warns once of those dropped' {
        $small = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'dave') -SignUp -InboxLimit 3
        1..5 | ForEach-Object { Send-PeerChatMessage -Session $alice -UserName 'dave' -Message "m$_" }
        Wait-Until { $small.DroppedMessages -ge 2 } 'two messages were dropped from the inbox'

        $kept = Receive-PeerChatMessage -Session $small -WarningVariable dropped -WarningAction SilentlyContinue
        $none = Receive-PeerChatMessage -Session $small -WarningVariable again -WarningAction SilentlyContinue
        $small | Disconnect-PeerChat -Confirm:$false

        $kept.Text | Should -Be 'm3', 'm4', 'm5'
        $small.InboxLimit | Should -Be 3
        $small.DroppedMessages | Should -Be 2
        @($dropped).Count | Should -Be 1
        "$($dropped[0])" | Should -BeLike '2 older message(s) for dave were dropped unread*newest 3*'
        $none | Should -BeNullOrEmpty
        $again | Should -BeNullOrEmpty
    }

    It 'Receive-PeerChatMessage -Wait returns empty when the timeout passes' {
        $started = [datetime]::UtcNow
        $nothing = Receive-PeerChatMessage -Session $bob -Wait -Timeout '00:00:00.300'

        $nothing | Should -BeNullOrEmpty
        ([datetime]::UtcNow - $started).TotalMilliseconds | Should -BeGreaterOrEqual 250
    }
}

Describe 'Routes' -Tag Integration {
    AfterAll {
        Remove-TestServers
    }

    It 'falls back to relay with Auto when the peer takes no direct connections, and fails with PeerUnreachable with Direct' {
        $server = Start-TestServer
        $sender = Connect-TestUser -UserName 'sender' -Port $server.Port
        $hidden = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'hidden') -SignUp -NoDirect

        $auto = Send-PeerChatMessage -Session $sender -UserName 'hidden' -Message 'via auto' -PassThru
        { Send-PeerChatMessage -Session $sender -UserName 'hidden' -Message 'direct only' -Route Direct -ErrorAction Stop } |
            Should -Throw -ErrorId 'PeerUnreachable,PeerChat.PowerShell.Commands.SendPeerChatMessageCommand'
        $received = Receive-PeerChatMessage -Session $hidden -Wait -Timeout $TestTimeout

        $hidden.DirectPort | Should -BeNullOrEmpty
        $auto.Route | Should -Be 'Relay'
        $received.Text | Should -Be 'via auto'
        $received.Route | Should -Be 'Relay'
        Receive-PeerChatMessage -Session $hidden | Should -BeNullOrEmpty
    }
}

# The one test of the idle rule that waits real seconds: a smoke test through the cmdlets and the
# server job. The rule itself is tested in xunit on a fake clock (LimitsTests, IdleRuleTests).
Describe 'The idle rule' -Tag Integration {
    AfterAll {
        Remove-TestServers
    }

    It 'drops a client that sent fewer than MinMessages in IdleTimeout, with a notice, while an active one stays' {
        $server = Start-TestServer -Settings @{ IdleTimeout = '00:00:01' }
        $idle = Connect-TestUser -UserName 'sleepy' -Port $server.Port
        $active = Connect-TestUser -UserName 'busy' -Port $server.Port

        # The active client keeps sending user requests (lists) until the idle one hears its notice.
        $notice = $null
        $deadline = [datetime]::UtcNow + $TestTimeout
        while (-not $notice -and [datetime]::UtcNow -lt $deadline) {
            $null = Get-PeerChatClient -Session $active
            $notice = Receive-PeerChatMessage -Session $idle -Wait -Timeout '00:00:00.200'
        }
        $online = (Get-PeerChatClient -Session $active).UserName

        $notice.Kind | Should -Be 'Notice'
        $notice.Code | Should -Be 'idle_timeout'
        $notice.Text | Should -Be 'Inactive for too long, terminating connection'
        $online | Should -Be @('busy')
        $active.State | Should -Be 'Open'
        Wait-Until { $idle.State -eq 'Closed' } 'the idle session is closed'
        (Receive-Job $server | Where-Object EventType -EQ 'ClientIdleDropped').UserName | Should -Be 'sleepy'
        # Without -Reconnect the drop is for good.
        $idle.Reconnect | Should -BeFalse
        $idle.ReconnectCount | Should -Be 0
        $idle.LastDisconnectReason | Should -Be 'idle_timeout'
    }
}
