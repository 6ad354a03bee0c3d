# Start-PeerChatServer -IrcJoinReplay: the last lines of a channel an IRC client without CHATHISTORY
# gets when it joins, through the cmdlets and a raw IRC connection to the gateway.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Read-IrcUntilPong {
        # Sends the lines, then a PING fence, and returns every line the gateway wrote before its PONG.
        param([Parameter(Mandatory)] [int] $Port, [Parameter(Mandatory)] [string[]] $Lines)
        $client = [Net.Sockets.TcpClient]::new('127.0.0.1', $Port)
        try {
            $client.ReceiveTimeout = $TestTimeout.TotalMilliseconds
            $stream = $client.GetStream()
            $bytes = [Text.Encoding]::UTF8.GetBytes((($Lines + 'PING :fence') -join "`r`n") + "`r`n")
            $stream.Write($bytes, 0, $bytes.Length)
            $reader = [IO.StreamReader]::new($stream)
            for ($i = 0; $i -lt 10000; $i++) {
                $line = $reader.ReadLine()
                if ($null -eq $line -or $line -match ' PONG \S+ :?fence$') { break }
                $line
            }
        }
        finally {
            $client.Dispose()
        }
    }
}

Describe 'Start-PeerChatServer -IrcJoinReplay' -Tag Integration {
    AfterEach {
        Remove-TestServers
    }

    It 'replays that many of a room''s last lines, each with its time, to an IRC client that joins' {
        $server = Start-TestServer -Settings @{ IrcPort = 0; IrcJoinReplay = 2 }
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        Join-PeerChatRoom -Session $alice -Room 'ops'
        1..4 | ForEach-Object { Send-PeerChatBroadcast -Session $alice -Room 'ops' -Message "line $_" }
        Disconnect-PeerChat -Session (Connect-TestUser -UserName 'bob' -Port $server.Port) -Confirm:$false

        $lines = Read-IrcUntilPong -Port $server.IrcPort -Lines "PASS :$TestPassword", 'NICK bob', 'USER bob 0 * :bob', 'JOIN #ops'
        $replayed = @($lines -match ' PRIVMSG #ops :')

        $replayed.Count | Should -Be 2
        $replayed[0] | Should -Match '^:alice!alice@peerchat PRIVMSG #ops :\[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] line 3$'
        $replayed[1] | Should -Match 'line 4$'
    }

    It 'replays nothing with -IrcJoinReplay 0' {
        $server = Start-TestServer -Settings @{ IrcPort = 0; IrcJoinReplay = 0 }
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        Join-PeerChatRoom -Session $alice -Room 'ops'
        Send-PeerChatBroadcast -Session $alice -Room 'ops' -Message 'not replayed'
        Disconnect-PeerChat -Session (Connect-TestUser -UserName 'bob' -Port $server.Port) -Confirm:$false

        $lines = Read-IrcUntilPong -Port $server.IrcPort -Lines "PASS :$TestPassword", 'NICK bob', 'USER bob 0 * :bob', 'JOIN #ops'

        @($lines -match ' JOIN #ops$').Count | Should -Be 1
        @($lines -match ' PRIVMSG ').Count | Should -Be 0
    }

    It 'refuses a negative value, as a parameter and in a configuration file' {
        { Start-PeerChatServer -Port 0 -IrcJoinReplay -1 -NoMessageStore -UserStorePath (Join-Path $TestDrive 'u.csv') } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
        $path = Join-Path $TestDrive 'replay.psd1'
        Set-Content -Path $path -Value '@{ IrcJoinReplay = -1 }'
        { Start-PeerChatServer -Port 0 -Configuration $path -NoMessageStore -UserStorePath (Join-Path $TestDrive 'u.csv') -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidServerSetting,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
    }
}
