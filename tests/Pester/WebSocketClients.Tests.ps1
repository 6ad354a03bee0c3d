# The WebSocket endpoint (/ws on -WebPort) with a client in another language: tests/web/ws_client.py,
# on Debian's python3-websockets, run by Debian's python3, talking with a PowerShell session through
# one server, over both subprotocols; then the same client's hostile upgrades and messages.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/WebSocketClientHelpers.ps1

    function Test-Online {
        param($Session, [string] $UserName)
        [bool](Get-PeerChatClient -Session $Session -UserName $UserName -ErrorAction SilentlyContinue)
    }

    function Assert-FramedBySubprotocol {
        # Every text message the client got held one frame (peerchat.v1) or one IRC line, no line end.
        param($Client)
        Send-ChildClientCommand $Client @{ op = 'stats' }
        $stats = Wait-ChildClientEvent $Client { $_.event -eq 'stats' } 'it reports what it received'
        $stats.messages | Should -BeGreaterThan 0
        @($stats.violations).Count | Should -Be 0 -Because "every message keeps to the subprotocol's framing: $($stats.violations | ConvertTo-Json -Compress)"
    }
}

Describe 'A Python WebSocket client and a PowerShell session' -Tag Integration {
    BeforeAll {
        $missing = Get-MissingWebSocketTool
        $server = Start-TestServer -Settings @{ WebPort = 0; IrcPort = 0 }
        $pat = Connect-TestUser -UserName 'pat' -Port $server.Port
        foreach ($name in 'pyweb', 'pyirc', 'pyplain') {
            Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential $name)
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

    It 'the job shows the web port it bound' {
        $server.WebPort | Should -BeGreaterThan 0
        $server.WebPort | Should -Not -Be $server.Port
    }

    It 'peerchat.v1: logs in; broadcasts and direct messages go both ways, one frame per message' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $py = Start-WebSocketClient -WebPort $server.WebPort -UserName 'pyweb' -Subprotocol 'peerchat.v1'
        (Wait-ChildClientEvent $py { $_.event -eq 'open' } 'the upgrade succeeds').subprotocol | Should -Be 'peerchat.v1'
        (Wait-ChildClientEvent $py { $_.event -in 'welcome', 'refused' } 'the login is answered').event | Should -Be 'welcome'
        Wait-Until { Test-Online $pat 'pyweb' } 'PowerShell sees pyweb online'
        (Get-PeerChatClient -Session $pat -UserName 'pyweb').Via | Should -Be 'websocket'

        Send-PeerChatBroadcast -Session $pat -Message 'hello web'
        $broadcast = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'hello web' } 'the broadcast arrives'
        $broadcast.kind | Should -Be 'broadcast'
        $broadcast.from | Should -Be 'pat'

        Send-ChildClientCommand $py @{ op = 'broadcast'; text = 'hello pwsh' }
        $fromWeb = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $fromWeb.Kind | Should -Be 'Broadcast'
        $fromWeb.From | Should -Be 'pyweb'
        $fromWeb.Text | Should -Be 'hello pwsh'

        Send-PeerChatMessage -Session $pat -UserName 'pyweb' -Message 'just for you'
        $direct = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'just for you' } 'the direct message arrives'
        $direct.kind | Should -Be 'direct'
        $direct.from | Should -Be 'pat'

        Send-ChildClientCommand $py @{ op = 'send'; to = 'pat'; text = "and back`nto you" }
        $back = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $back.Kind | Should -Be 'Direct'
        $back.From | Should -Be 'pyweb'
        $back.Text | Should -Be "and back`nto you"

        Assert-FramedBySubprotocol $py
        Stop-ChildClient $py
        Wait-Until { -not (Test-Online $pat 'pyweb') } 'PowerShell sees pyweb leave when its WebSocket closes'
    }

    It 'text.ircv3.net: registers with PASS; #everyone and private messages go both ways, one line per message' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $py = Start-WebSocketClient -WebPort $server.WebPort -UserName 'pyirc' -Subprotocol 'text.ircv3.net'
        (Wait-ChildClientEvent $py { $_.event -eq 'open' } 'the upgrade succeeds').subprotocol | Should -Be 'text.ircv3.net'
        (Wait-ChildClientEvent $py { $_.event -in 'registered', 'refused' } 'the registration is answered').event | Should -Be 'registered'
        Wait-Until { Test-Online $pat 'pyirc' } 'PowerShell sees pyirc online'
        (Get-PeerChatClient -Session $pat -UserName 'pyirc').Via | Should -Be 'irc-websocket'

        Send-PeerChatBroadcast -Session $pat -Message 'hello irc over web'
        $broadcast = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'hello irc over web' } 'the broadcast arrives'
        $broadcast.kind | Should -Be 'pubmsg'
        $broadcast.target | Should -Be '#everyone'
        $broadcast.from | Should -Be 'pat'

        Send-ChildClientCommand $py @{ op = 'broadcast'; text = 'hello from irc' }
        $fromWeb = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $fromWeb.Kind | Should -Be 'Broadcast'
        $fromWeb.From | Should -Be 'pyirc'
        $fromWeb.Text | Should -Be 'hello from irc'

        Send-PeerChatMessage -Session $pat -UserName 'pyirc' -Message 'private words'
        $direct = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'private words' } 'the direct message arrives'
        $direct.kind | Should -Be 'privmsg'
        $direct.target | Should -Be 'pyirc'
        $direct.from | Should -Be 'pat'

        Send-ChildClientCommand $py @{ op = 'send'; to = 'pat'; text = 'private answer' }
        $back = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $back.Kind | Should -Be 'Direct'
        $back.From | Should -Be 'pyirc'
        $back.Text | Should -Be 'private answer'

        Assert-FramedBySubprotocol $py
    }

    It 'speaks peerchat.v1 when the client asks for no subprotocol' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $py = Start-WebSocketClient -WebPort $server.WebPort -UserName 'pyplain' -Subprotocol 'none'
        $null = Wait-ChildClientEvent $py { $_.event -eq 'open' } 'the upgrade succeeds'
        (Wait-ChildClientEvent $py { $_.event -in 'welcome', 'refused' } 'the login is answered').event | Should -Be 'welcome'
        Send-PeerChatBroadcast -Session $pat -Message 'plain hello'
        $null = Wait-ChildClientEvent $py { $_.event -eq 'message' -and $_.text -eq 'plain hello' } 'the broadcast arrives'
        Assert-FramedBySubprotocol $py
    }
}

Describe 'Hostile WebSocket input from a Python client' -Tag Integration {
    BeforeAll {
        $missing = Get-MissingWebSocketTool
        $server = Start-TestServer -Settings @{ WebPort = 0; IrcPort = 0; WebAllowedOrigin = 'http://allowed.example'; MaxFrameBytes = 8192 }
        $pat = Connect-TestUser -UserName 'pat' -Port $server.Port
        $sam = Connect-TestUser -UserName 'sam' -Port $server.Port
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'pyprobe')
    }

    AfterAll {
        Remove-ChildClients
        Remove-TestServers
    }

    It 'gets 426, 400, 431, 431, 403 for bad upgrades and close 1009 for a message past MaxFrameBytes; others chat on' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $py = Start-WebSocketClient -WebPort $server.WebPort -UserName 'pyprobe' -Mode probe -ExtraArguments @(
            '--origin', 'http://allowed.example', '--bad-origin', 'http://evil.example', '--max-frame-bytes', 8192)
        $probes = @{}
        foreach ($name in 'bad-version', 'bad-key', 'too-many-headers', 'huge-headers', 'wrong-origin', 'oversized') {
            $probes[$name] = Wait-ChildClientEvent $py { $_.event -eq 'probe' -and $_.name -eq $name } "the $name probe is answered"
        }

        $probes['bad-version'].status | Should -Be 426
        $probes['bad-version'].version | Should -Be '13' -Because 'a 426 names the version the server speaks (RFC 6455 4.4)'
        $probes['bad-key'].status | Should -Be 400
        $probes['too-many-headers'].status | Should -Be 431
        $probes['huge-headers'].status | Should -Be 431
        $probes['wrong-origin'].status | Should -Be 403
        $probes['oversized'].code | Should -Be 1009

        # Nobody else noticed: the PowerShell sessions still chat.
        Send-PeerChatBroadcast -Session $pat -Message 'still here'
        (Receive-PeerChatMessage -Session $sam -Wait -Timeout $TestTimeout).Text | Should -Be 'still here'
    }
}
