# Start-PeerChatServer -IrcPort: a raw IRC client and a PowerShell session in the same chat.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Read-IrcUntil {
        # Lines from the IRC connection until one matches $Pattern (each read bounded by $TestTimeout).
        param([Parameter(Mandatory)] [IO.StreamReader] $Reader, [Parameter(Mandatory)] [string] $Pattern)
        for ($i = 0; $i -lt 200; $i++) {
            $line = $Reader.ReadLine()
            if ($null -eq $line) { throw "The IRC connection closed before a line matching '$Pattern'." }
            if ($line -match $Pattern) { return $line }
        }
        throw "No line matching '$Pattern' in 200 lines."
    }
}

Describe 'Start-PeerChatServer -IrcPort' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer -Settings @{ IrcPort = 0 }
        $pwshUser = Connect-TestUser -UserName 'pwsh' -Port $server.Port
        # The IRC user's account, made over peerchat/1 as any account is.
        Connect-TestUser -UserName 'ircuser' -Port $server.Port | Disconnect-PeerChat -Confirm:$false

        $irc = [Net.Sockets.TcpClient]::new('127.0.0.1', $server.IrcPort)
        $irc.ReceiveTimeout = $TestTimeout.TotalMilliseconds
        $stream = $irc.GetStream()
        $reader = [IO.StreamReader]::new($stream, [Text.UTF8Encoding]::new($false))
        $writer = [IO.StreamWriter]::new($stream, [Text.UTF8Encoding]::new($false))
        $writer.NewLine = "`r`n"
        $writer.AutoFlush = $true
        $writer.WriteLine("PASS :$TestPassword")
        $writer.WriteLine('NICK ircuser')
        $writer.WriteLine('USER ircuser 0 * :An IRC user')
        $null = Read-IrcUntil $reader ' 366 '
    }

    AfterAll {
        $irc.Dispose()
        Remove-TestServers
    }

    It 'shows the bound IRC port on the job, apart from the main port' {
        $server.IrcPort | Should -BeGreaterThan 0
        $server.IrcPort | Should -Not -Be $server.Port
    }

    It 'carries #everyone both ways between IRC and PowerShell' {
        Send-PeerChatBroadcast -Session $pwshUser -Message 'hello from PowerShell'
        Read-IrcUntil $reader 'PRIVMSG' | Should -Be ':pwsh!pwsh@peerchat PRIVMSG #everyone :hello from PowerShell'

        $writer.WriteLine('PRIVMSG #everyone :hello from IRC')
        $message = Receive-PeerChatMessage -Session $pwshUser -Wait -Timeout $TestTimeout
        $message.Kind | Should -Be 'Broadcast'
        $message.From | Should -Be 'ircuser'
        $message.Text | Should -Be 'hello from IRC'
    }

    It 'carries direct messages both ways' {
        Send-PeerChatMessage -Session $pwshUser -UserName 'ircuser' -Message 'just for you'
        Read-IrcUntil $reader 'PRIVMSG' | Should -Be ':pwsh!pwsh@peerchat PRIVMSG ircuser :just for you'

        $writer.WriteLine('PRIVMSG pwsh :and back')
        $message = Receive-PeerChatMessage -Session $pwshUser -Wait -Timeout $TestTimeout
        $message.Kind | Should -Be 'Direct'
        $message.From | Should -Be 'ircuser'
        $message.Text | Should -Be 'and back'
    }

    It 'lists the IRC user with how each client is connected' {
        $clients = Get-PeerChatClient -Session $pwshUser

        ($clients | Where-Object UserName -EQ 'ircuser').Via | Should -Be 'irc'
        ($clients | Where-Object UserName -EQ 'pwsh').Via | Should -Be 'peerchat'
        ($clients | Format-Table | Out-String -Width 160) | Should -Match 'Via'
    }
}

Describe 'Start-PeerChatServer without -IrcPort' -Tag Integration {
    AfterAll { Remove-TestServers }

    It 'has no IRC gateway' {
        $server = Start-TestServer
        $server.IrcPort | Should -BeNullOrEmpty
    }
}
