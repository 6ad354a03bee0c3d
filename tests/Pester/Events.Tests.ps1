# Engine events for bots (PeerChat.MessageReceived, PeerChat.ClientJoined, PeerChat.ClientLeft) and
# tab completion of user names.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Watch-PeerChatEvent([string] $SourceIdentifier) {
        # An engine event needs an action; this one re-queues it as Test.<name> for Wait-Event.
        $null = Register-EngineEvent -SourceIdentifier $SourceIdentifier -Action {
            $null = New-Event -SourceIdentifier "Test.$($Event.SourceIdentifier)" -Sender $Event.Sender -EventArguments $Event.SourceArgs
        }
    }
}

Describe 'Engine events' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $asker = Connect-TestUser -UserName 'asker' -Port $server.Port
        $bot = Connect-TestUser -UserName 'bot' -Port $server.Port
    }

    AfterEach {
        Get-EventSubscriber | Where-Object SourceIdentifier -Like 'PeerChat.*' | Unregister-Event
        Get-Event | Remove-Event
    }

    AfterAll {
        Remove-TestServers
    }

    It 'raises PeerChat.MessageReceived for each incoming message, with the message as its argument' {
        Watch-PeerChatEvent PeerChat.MessageReceived

        Send-PeerChatMessage -Session $asker -UserName 'bot' -Message 'hello bot'
        $event = Wait-Event -SourceIdentifier Test.PeerChat.MessageReceived -Timeout $TestTimeout.TotalSeconds

        $event | Should -Not -BeNullOrEmpty
        $event.SourceArgs[0].Text | Should -Be 'hello bot'
        $event.SourceArgs[0].From | Should -Be 'asker'
        $event.Sender.UserName | Should -Be 'bot'
    }

    It 'queues nothing when nobody subscribed' {
        Send-PeerChatMessage -Session $asker -UserName 'bot' -Message 'unwatched'
        $null = Receive-PeerChatMessage -Session $bot -Wait -Timeout $TestTimeout

        Get-Event | Should -BeNullOrEmpty
    }

    It 'makes a bot in a few lines: it answers !uptime' {
        $global:BotStarted = $started = Get-Date
        $null = Register-EngineEvent -SourceIdentifier PeerChat.MessageReceived -Action {
            $message = $Event.SourceArgs[0]
            if ($message.Text -eq '!uptime') {
                Send-PeerChatMessage -Session $message.Session -UserName $message.From -Message "up since $($global:BotStarted.ToString('o'))"
                $null = New-Event -SourceIdentifier Test.Answered
            }
        }

        Send-PeerChatMessage -Session $asker -UserName 'bot' -Message '!uptime'
        $answered = Wait-Event -SourceIdentifier Test.Answered -Timeout $TestTimeout.TotalSeconds
        $reply = Receive-PeerChatMessage -Session $asker -Wait -Timeout $TestTimeout

        $answered | Should -Not -BeNullOrEmpty
        $reply.From | Should -Be 'bot'
        $reply.Text | Should -Be "up since $($started.ToString('o'))"
    }

    It 'raises PeerChat.ClientJoined and PeerChat.ClientLeft as others come and go' {
        Watch-PeerChatEvent PeerChat.ClientJoined
        Watch-PeerChatEvent PeerChat.ClientLeft

        $visitor = Connect-TestUser -UserName 'visitor' -Port $server.Port
        $joined = Wait-Event -SourceIdentifier Test.PeerChat.ClientJoined -Timeout $TestTimeout.TotalSeconds
        Disconnect-PeerChat -Session $visitor
        $left = Wait-Event -SourceIdentifier Test.PeerChat.ClientLeft -Timeout $TestTimeout.TotalSeconds

        $joined.SourceArgs[0].UserName | Should -Be 'visitor'
        $joined.SourceArgs[0].Joined | Should -BeTrue
        $left.SourceArgs[0].UserName | Should -Be 'visitor'
        $left.SourceArgs[0].Joined | Should -BeFalse
    }
}

Describe 'Engine events: the message in MessageData' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $listener = Connect-TestUser -UserName 'puller' -Port $server.Port
        $sender = Connect-TestUser -UserName 'pusher' -Port $server.Port
    }

    AfterAll {
        Get-EventSubscriber | Where-Object SourceIdentifier -Like 'PeerChat.*' | Unregister-Event
        Get-Event | Remove-Event
        Remove-TestServers
    }

    It 'gives the action the message in $Event.MessageData, as in $Event.SourceArgs[0]' {
        $null = Register-EngineEvent -SourceIdentifier PeerChat.MessageReceived -Action {
            $null = New-Event -SourceIdentifier Test.MessageData -MessageData @($Event.MessageData, $Event.SourceArgs[0])
        }
        try {
            Send-PeerChatMessage -Session $sender -UserName 'puller' -Message 'pull me' -Route Relay
            $event = Wait-Event -SourceIdentifier Test.MessageData -Timeout $TestTimeout.TotalSeconds
        }
        finally {
            Unregister-Event -SourceIdentifier PeerChat.MessageReceived
        }

        $event | Should -Not -BeNullOrEmpty
        $fromMessageData, $fromSourceArgs = $event.MessageData
        $fromMessageData.Text | Should -Be 'pull me'
        $fromMessageData.From | Should -Be 'pusher'
        $fromSourceArgs.MessageId | Should -Be $fromMessageData.MessageId
        $event | Remove-Event
    }
}

Describe 'Tab completion of user names' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $null = Connect-TestUser -UserName 'bravo' -Port $server.Port
        $null = Connect-TestUser -UserName 'builder' -Port $server.Port
        $null = Connect-TestUser -UserName 'me' -Port $server.Port

        function Get-Completion([string] $Line) {
            (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText
        }
    }

    AfterAll {
        Get-EventSubscriber | Where-Object SourceIdentifier -Like 'PeerChat.*' | Unregister-Event
        Get-Event | Remove-Event
        Remove-TestServers
    }

    It 'offers the online users for -UserName and -To, from a cache: one list, then no network call per key press' {
        $first = Get-Completion 'Send-PeerChatMessage -UserName b'
        $framesAfterFirst = $server.Statistics.FramesIn
        $second = Get-Completion 'Send-PeerChatMessage -To bu'
        $third = Get-Completion 'Get-PeerChatClient m'

        $first | Should -Be @('bravo', 'builder')
        $second | Should -Be @('builder')
        $third | Should -Be @('me')
        $server.Statistics.FramesIn | Should -Be $framesAfterFirst
    }

    It 'offers user names for Receive-PeerChatMessage -From, job names for Stop-PeerChatServer -Name, session ids for Get-PeerChatSession -Id' {
        $sessionIds = @(Get-PeerChatSession).Id

        Get-Completion 'Receive-PeerChatMessage -From bu' | Should -Be @('builder')
        Get-Completion "Stop-PeerChatServer -Name $($server.Name.Substring(0, 8))" | Should -Contain $server.Name
        Get-Completion 'Stop-PeerChatServer -Name no-such-' | Should -BeNullOrEmpty
        Get-Completion 'Get-PeerChatSession -Id ' | Should -Be ($sessionIds | ForEach-Object ToString)
    }

    It 'learns who joined from presence, still without asking the server' {
        Watch-PeerChatEvent PeerChat.ClientJoined
        $null = Get-Completion 'Send-PeerChatMessage -To nobody'
        $frames = $server.Statistics.FramesIn

        # bystander logs in over a raw connection: a Connect-PeerChat would become the default
        # session, whose first completion asks the server, so the cache under test stays me's.
        $raw = [Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        try {
            $writer = [IO.StreamWriter]::new($raw.GetStream())
            $writer.Write('{"type":"signup","id":1,"user":"bystander","password":"' + $script:TestPassword + '"}' + "`n")
            $writer.Write('{"type":"login","id":2,"user":"bystander","password":"' + $script:TestPassword + '"}' + "`n")
            $writer.Flush()
            $joined = Wait-Event -SourceIdentifier Test.PeerChat.ClientJoined -Timeout $TestTimeout.TotalSeconds
            $completions = Get-Completion 'Send-PeerChatMessage -To by'
            $framesSinceLogin = $server.Statistics.FramesIn - $frames
        }
        finally {
            $raw.Dispose()
        }

        $joined.SourceArgs[0].UserName | Should -Be 'bystander'
        $completions | Should -Be @('bystander')
        $framesSinceLogin | Should -Be 2 -Because 'only the signup and the login reached the server: completion asked nothing'
    }
}
