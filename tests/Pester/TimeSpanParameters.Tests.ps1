# A plain number given to a TimeSpan parameter means seconds, as Wait-Job -Timeout does; PowerShell's
# own conversion would read it as ticks ("-Timeout 5" returning at once, "-IdleTimeout 30" dropping
# clients within a moment).
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'TimeSpan parameters' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer -Settings @{ IdleTimeout = 30; AuthTimeout = '2' }
        $session = Connect-TestUser -UserName 'patient' -Port $server.Port
    }

    AfterAll {
        Remove-TestServers
    }

    It 'reads -IdleTimeout 30 as thirty seconds, as the server tells its clients' {
        $session.IdleTimeout | Should -Be ([timespan]::FromSeconds(30))
    }

    It 'reads a number in a string as seconds too, not days' {
        # AuthTimeout '2': a connection that never logs in is cut after two seconds.
        $client = [Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        try {
            (Read-RawLine $client) -join "`n" | Should -Match 'auth_timeout'
        }
        finally {
            $client.Dispose()
        }
    }

    It 'waits -Timeout 1 for a whole second, not one tick' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $nothing = Receive-PeerChatMessage -Session $session -Wait -Timeout 1
        $watch.Stop()
        $nothing | Should -BeNullOrEmpty
        $watch.Elapsed.TotalMilliseconds | Should -BeGreaterOrEqual 900
    }

    It 'still takes a TimeSpan string as it is' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = Receive-PeerChatMessage -Session $session -Wait -Timeout '00:00:00.300'
        $watch.Elapsed.TotalMilliseconds | Should -BeGreaterOrEqual 250
    }

    It 'refuses an -IdleTimeout under a second, naming the minimum and how numbers are read' {
        $failure = { Start-PeerChatServer -Port 0 -IdleTimeout 0.5 -UserStorePath (Join-Path $TestDrive 'x.csv') } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        $failure.Exception.Message | Should -BeLike '*minimum of 1 s*read as seconds*'
        Get-Job | Where-Object PSJobTypeName -EQ 'PeerChatServer' | Where-Object UserStorePath -Like '*x.csv' | Should -BeNullOrEmpty
    }

    It 'refuses a negative -Timeout' {
        { Receive-PeerChatMessage -Session $session -Wait -Timeout -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,*'
    }
}
