# The IRC gateway with a real IRC client: tests/irc/irc_client.py, on the `irc` library of Debian's
# python3-irc, run by Debian's python3, talking with a PowerShell session through one server.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/IrcTestHelpers.ps1

    function Test-Online {
        param($Session, [string] $UserName)
        [bool](Get-PeerChatClient -Session $Session -UserName $UserName -ErrorAction SilentlyContinue)
    }
}

Describe 'An IRC client and a PowerShell session' -Tag Integration {
    BeforeAll {
        $missing = Get-MissingIrcTool python3-irc
        $server = Start-TestServer -Settings @{ IrcPort = 0 }
        $pat = Connect-TestUser -UserName 'pat' -Port $server.Port
        foreach ($name in 'pybot', 'pyuser', 'pysasl') {
            Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential $name -Password $IrcPassword)
        }
    }

    AfterEach {
        Remove-ChildClients
        $null = Receive-PeerChatMessage -Session $pat
    }

    AfterAll {
        Remove-ChildClients
        Remove-TestServers
    }

    It 'logs in with PASS password; broadcasts on #everyone and direct messages go both ways' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $py = Start-IrcClient -Port $server.IrcPort -Nick 'pybot' -Login pass
        $null = Wait-ChildClientEvent $py { $_.event -eq 'registered' } 'it is registered'
        Wait-Until { Test-Online $pat 'pybot' } 'PowerShell sees pybot online'
        (Get-PeerChatClient -Session $pat -UserName 'pybot').Via | Should -Be 'irc'
        (Get-PeerChatClient -Session $pat -UserName 'pat').Via | Should -Be 'peerchat'

        Send-PeerChatBroadcast -Session $pat -Message 'hello irc'
        $broadcast = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'hello irc' } 'the broadcast arrives'
        $broadcast.kind | Should -Be 'pubmsg'
        $broadcast.target | Should -Be '#everyone'
        $broadcast.from | Should -Be 'pat'

        Send-ChildClientCommand $py @{ op = 'privmsg'; target = '#everyone'; text = 'hello pwsh' }
        $fromIrc = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $fromIrc.Kind | Should -Be 'Broadcast'
        $fromIrc.From | Should -Be 'pybot'
        $fromIrc.Text | Should -Be 'hello pwsh'

        Send-PeerChatMessage -Session $pat -UserName 'pybot' -Message 'just for you'
        $direct = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'just for you' } 'the direct message arrives'
        $direct.kind | Should -Be 'privmsg'
        $direct.target | Should -Be 'pybot'
        $direct.from | Should -Be 'pat'

        Send-ChildClientCommand $py @{ op = 'privmsg'; target = 'pat'; text = 'and back to you' }
        $back = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $back.Kind | Should -Be 'Direct'
        $back.From | Should -Be 'pybot'
        $back.Text | Should -Be 'and back to you'
    }

    It 'talks in a room: JOIN #room, and room messages go both ways, to members only' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $py = Start-IrcClient -Port $server.IrcPort -Nick 'pybot' -Login pass
        $null = Wait-ChildClientEvent $py { $_.event -eq 'registered' } 'it is registered'
        Send-ChildClientCommand $py @{ op = 'join'; channel = '#ops' }
        $null = Wait-ChildClientEvent $py { $_.event -eq 'join' -and $_.nick -eq 'pybot' -and $_.channel -eq '#ops' } 'the JOIN is echoed'
        (Get-PeerChatRoom -Session $pat -Room ops).Members | Should -Be 1

        # Not yet a member: a message to #ops is not for pat; the broadcast after it is a fence.
        Send-ChildClientCommand $py @{ op = 'privmsg'; target = '#ops'; text = 'before you came' }
        Send-ChildClientCommand $py @{ op = 'privmsg'; target = '#everyone'; text = 'fence' }
        (Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout).Text | Should -Be 'fence'

        Join-PeerChatRoom -Session $pat -Room ops
        Send-PeerChatBroadcast -Session $pat -Room ops -Message 'hello room'
        $inRoom = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'hello room' } 'the room message arrives'
        $inRoom.kind | Should -Be 'pubmsg'
        $inRoom.target | Should -Be '#ops'
        $inRoom.from | Should -Be 'pat'

        Send-ChildClientCommand $py @{ op = 'privmsg'; target = '#ops'; text = 'hello back' }
        $fromIrc = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $fromIrc.Kind | Should -Be 'Room'
        $fromIrc.Room | Should -Be 'ops'
        $fromIrc.From | Should -Be 'pybot'
        $fromIrc.Text | Should -Be 'hello back'

        Send-ChildClientCommand $py @{ op = 'part'; channel = '#ops' }
        $null = Wait-ChildClientEvent $py { $_.event -eq 'part' -and $_.nick -eq 'pybot' -and $_.channel -eq '#ops' } 'the PART is echoed'
        (Get-PeerChatRoom -Session $pat -Room ops).Members | Should -Be 1
    }

    It 'logs in with PASS user:password and with SASL PLAIN; PowerShell sees each come and go' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        foreach ($login in @{ Nick = 'pyuser'; Login = 'userpass' }, @{ Nick = 'pysasl'; Login = 'sasl' }) {
            $py = Start-IrcClient -Port $server.IrcPort @login
            if ($login.Login -eq 'sasl') {
                $null = Wait-ChildClientEvent $py { $_.event -eq 'numeric' -and $_.code -eq '903' } 'SASL succeeds (903)'
            }
            $registered = Wait-ChildClientEvent $py { $_.event -eq 'registered' } "$($login.Nick) is registered"
            $registered.nick | Should -Be $login.Nick
            Wait-Until { Test-Online $pat $login.Nick } "PowerShell sees $($login.Nick) online"

            Send-ChildClientCommand $py @{ op = 'privmsg'; target = 'pat'; text = "via $($login.Login)" }
            $message = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
            $message.From | Should -Be $login.Nick
            $message.Text | Should -Be "via $($login.Login)"

            Send-ChildClientCommand $py @{ op = 'quit'; text = 'bye' }
            $null = Wait-ChildClientEvent $py { $_.event -eq 'closed' } 'the server closes after QUIT'
            Wait-Until { -not (Test-Online $pat $login.Nick) } "PowerShell sees $($login.Nick) leave"
            Stop-ChildClient $py
        }
    }
}

Describe 'Wrong passwords from an IRC client' -Tag Integration {
    BeforeAll {
        $missing = Get-MissingIrcTool python3-irc
        # A server of its own: the failures below throttle every login from 127.0.0.1. Its blocks
        # last a minute (1 s by default), so that the one the IRC tries meet still holds for the
        # Connect-PeerChat after them, however long the IRC client took to start.
        $configuration = Join-Path $TestDrive 'irc-throttle.psd1'
        Set-Content $configuration "@{ ThrottleInitialDelay = '00:01:00' }"
        $server = Start-TestServer -Settings @{ IrcPort = 0; Configuration = $configuration }
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'guessed' -Password $IrcPassword)
    }

    AfterAll {
        Remove-ChildClients
        Remove-TestServers
    }

    It 'get 464 (PASS) or 904 (SASL), then the peerchat/1 throttle: IRC and PowerShell logins wait alike' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        # The first five failures from one address are told as wrong passwords (ThrottleFailures).
        foreach ($login in 'pass', 'userpass', 'sasl', 'pass', 'sasl') {
            $py = Start-IrcClient -Port $server.IrcPort -Nick 'guessed' -Password 'not-the-password' -Login $login
            $expected = if ($login -eq 'sasl') { '904' } else { '464' }
            $refusal = Wait-ChildClientEvent $py { $_.event -eq 'numeric' -and $_.code -in '464', '904' } "a wrong password via $login is refused"
            $refusal.code | Should -Be $expected
            Stop-ChildClient $py
        }

        # Then the address is blocked: the next attempt is refused without its password being
        # checked (a few tries allowed, should one still race the fifth failure's record).
        $throttled = $null
        for ($try = 0; $try -lt 4 -and -not $throttled; $try++) {
            $py = Start-IrcClient -Port $server.IrcPort -Nick 'guessed' -Password 'still-wrong' -Login pass
            $answer = Wait-ChildClientEvent $py { $_.event -in 'error', 'registered' -or ($_.event -eq 'numeric' -and $_.code -in '464', '904') } 'a refusal'
            if ($answer.event -eq 'numeric' -and $answer.args[-1] -match 'too many failed logins') { $throttled = $answer }
            Stop-ChildClient $py
        }
        $throttled | Should -Not -BeNullOrEmpty -Because 'a guesser is slowed down like on peerchat/1'

        # The same throttle holds for peerchat/1 from that address, even with the right password.
        { Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'guessed' -Password $IrcPassword) -ErrorAction Stop } |
            Should -Throw -ErrorId 'Throttled,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }
}
