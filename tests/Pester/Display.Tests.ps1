# Text from the network shown safely: control characters a sender chose (escape sequences, CR, LF)
# show as visible symbols in every view and in Enter-PeerChat; the objects keep the raw text.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    $script:Esc = [char]27
    # What the attacker sent: a CR that rewinds to fake a direct message from someone else, a LF
    # that fakes a server notice, a window retitle (OSC 0 ... BEL) and an erase-line.
    $script:Evil = "first line`r[12:00:00] admin (to you, relay): fake`n*** fake notice`n$Esc]0;pwned$([char]7)$Esc[2Kend"

    function Assert-Harmless([string] $Shown) {
        $Shown | Should -Not -Match ([regex]::Escape([string] $script:Esc)) -Because 'no escape sequence may reach the terminal'
        $Shown | Should -Not -Match "`r" -Because 'no carriage return may rewind a line'
        $Shown | Should -Match '␛' -Because 'the escape shows as a visible symbol'
    }
}

Describe 'Views of text from the network' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $sender = Connect-TestUser -UserName 'mallory' -Port $server.Port
        $reader = Connect-TestUser -UserName 'reader' -Port $server.Port
    }

    AfterAll {
        Remove-TestServers
    }

    It 'shows a message escaped in the table and list views and as a string, and keeps Text raw' {
        Send-PeerChatMessage -Session $sender -UserName 'reader' -Message $Evil
        $message = Receive-PeerChatMessage -Session $reader -Wait -Timeout '00:00:10'

        $message.Text | Should -BeExactly $Evil
        Assert-Harmless ($message | Format-Table | Out-String -Width 300)
        Assert-Harmless ($message | Format-List | Out-String -Width 300)
        Assert-Harmless "$message"
        ($message | Format-List | Out-String -Width 300) | Should -Match 'first line␍\[12:00:00\] admin'
    }

    It 'shows a login name with escapes escaped in the server events, in Format-Table and Format-List' {
        $null = Receive-Job $server
        $socket = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        try {
            $stream = $socket.GetStream()
            $reader = [IO.StreamReader]::new($stream)
            $null = $reader.ReadLine()
            $login = @{ type = 'login'; id = 1; user = "$Esc]0;pwned$([char]7)$Esc[2K`rroot"; password = 'wrong password' } | ConvertTo-Json -Compress
            $bytes = [Text.Encoding]::UTF8.GetBytes($login + "`n")
            $stream.Write($bytes, 0, $bytes.Length)
            $answer = $reader.ReadLine() | ConvertFrom-Json
            $answer.code | Should -Be 'invalid_credentials'
        }
        finally {
            $socket.Dispose()
        }

        Wait-Until { @($server.Output | Where-Object EventType -EQ 'LoginFailed').Count -gt 0 } 'the failed login is an event'
        $events = Receive-Job $server

        Assert-Harmless ($events | Format-Table | Out-String -Width 300)
        Assert-Harmless ($events | Format-List | Out-String -Width 300)
    }

    It 'shows an error message that echoes text from the wire escaped, and keeps it raw in the exception' {
        $target = "ghost$Esc]0;pwned$([char]7)`rroot"

        Send-PeerChatMessage -Session $sender -UserName $target -Message 'hi' -Route Relay -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -BeLike 'UserNotFound,*'
        $failure[0].Exception.Message | Should -BeLike "*$target*"
        Assert-Harmless $failure[0].ErrorDetails.Message
        Assert-Harmless ($failure[0] | Out-String -Width 300)
    }
}
