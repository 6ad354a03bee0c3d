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
        $message = Receive-PeerChatMessage -Session $reader -Wait -Timeout $TestTimeout

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

Describe 'Views of what a hostile server sends' -Tag Integration {
    BeforeAll {
        # A server of the attacker's: it logs anyone in and answers a list with names, ids and
        # addresses full of escape sequences, then sends a message from such a name.
        $evil = "$Esc]0;pwned$([char]7)$Esc[2K`r"
        $listener = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
        $listener.Start()
        $fakeServer = Start-ThreadJob -ArgumentList $listener, $evil -ScriptBlock {
            param($listener, $evil)
            $client = $listener.AcceptTcpClient()
            $stream = $client.GetStream()
            $reader = [IO.StreamReader]::new($stream)
            $writer = [IO.StreamWriter]::new($stream)
            $writer.AutoFlush = $true
            $writer.NewLine = "`n"
            $writer.WriteLine('{"type":"hello","protocol":"peerchat/1","server":"evil","auth":["login"],"maxFrameBytes":65536}')
            while ($null -ne ($line = $reader.ReadLine())) {
                $frame = $line | ConvertFrom-Json
                switch ($frame.type) {
                    'login' {
                        $writer.WriteLine((@{ type = 'welcome'; re = $frame.id; clientId = "c1$evil"; user = 'victim'; address = "127.0.0.1:1$evil"; idleTimeoutSeconds = 1800; minMessages = 2 } | ConvertTo-Json -Compress))
                    }
                    'logout' {
                        $client.Close()
                        return
                    }
                    'list' {
                        $listed = @{ clientId = "c2$evil"; user = "mallory$evil"; address = "10.0.0.1:2$evil"; peer = "10.0.0.1:3$evil"; connectedAt = '2026-11-29T07:00:00Z'; lastActiveAt = '2026-11-29T07:00:00Z'; messages = 1 }
                        $writer.WriteLine((@{ type = 'clients'; re = $frame.id; clients = @($listed) } | ConvertTo-Json -Compress -Depth 5))
                        $writer.WriteLine((@{ type = 'message'; kind = 'broadcast'; route = 'relay'; messageId = "m1$evil"; from = "mallory$evil"; text = 'hi'; sentAt = '2026-11-29T07:00:00Z' } | ConvertTo-Json -Compress))
                    }
                }
            }
        }
        $session = Connect-PeerChat -ComputerName 127.0.0.1 -Port $listener.LocalEndpoint.Port -Credential (New-TestCredential 'victim') -Verbose -ErrorAction Stop 4>&1 |
            Tee-Object -Variable connectOutput | Where-Object { $_ -is [PeerChat.PowerShell.Objects.PeerChatSession] }
    }

    AfterAll {
        $session | Disconnect-PeerChat -ErrorAction SilentlyContinue
        $listener.Stop()
        $fakeServer | Stop-Job -PassThru | Remove-Job -Force
    }

    It 'shows the clients it lists, the session and the verbose lines escaped' {
        $clients = Get-PeerChatClient -Session $session

        $clients[0].UserName | Should -BeExactly "mallory$evil"
        Assert-Harmless ($clients | Format-Table | Out-String -Width 300)
        Assert-Harmless ($clients | Format-List | Out-String -Width 300)
        Assert-Harmless "$($clients[0])"
        Assert-Harmless ($session | Format-Table | Out-String -Width 300)
        Assert-Harmless ($session | Format-List | Out-String -Width 300)
        Assert-Harmless (($connectOutput | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n")
    }

    It 'completes -UserName only with names the account rule allows, never a made-up name into the command line' {
        $null = Get-PeerChatClient -Session $session
        $line = "Send-PeerChatMessage -Session `$session -UserName mal"

        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches

        $completions | Should -BeNullOrEmpty
    }

    It 'shows a message from a name it made up escaped' {
        $message = Receive-PeerChatMessage -Session $session -Wait -Timeout $TestTimeout

        Assert-Harmless ($message | Format-Table | Out-String -Width 300)
        Assert-Harmless ($message | Format-List | Out-String -Width 300)
    }
}
