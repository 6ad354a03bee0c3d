# Start-PeerChatServer, Stop-PeerChatServer and the server as a PowerShell job.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Start-PeerChatServer' -Tag Unit {
    It 'has the expected parameters' {
        $expected = 'Port', 'ListenAddress', 'MaxClients', 'MaxSessionsPerAddress', 'ReservedSlots', 'IdleTimeout', 'MinMessages', 'AuthTimeout', 'MaxFrameBytes', 'HashIterations', 'UserStorePath', 'Certificate', 'CertificatePath', 'CertificatePassword', 'SelfSignedCertificate', 'DisableSignup', 'SignupsPerAddressPerMinute', 'FloodBytesBurst', 'FloodBytesRate', 'SendQueueSoftBytes', 'EventBufferSize', 'Configuration', 'Name', 'MessageStorePath', 'NoMessageStore', 'HistoryMaxAge', 'HistoryMaxPerConversation', 'OfflineQueueLimit', 'MessageStoreMaxSize', 'IrcPort', 'IrcJoinReplay', 'WebPort', 'WebAllowedOrigin', 'Cluster', 'NodeName'
        $actual = (Get-Command Start-PeerChatServer).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin 'WhatIf', 'Confirm' }
        Compare-Object $expected $actual | Should -BeNullOrEmpty
    }
}

Describe 'The server job' -Tag Integration {
    AfterEach {
        Remove-TestServers
    }

    It 'is a real job: Get-Job finds it by id, name and state, on the port the system picked' {
        $job = Start-TestServer

        $job.JobStateInfo.State | Should -Be 'Running'
        $job.Port | Should -BeGreaterThan 0
        $job.PSJobTypeName | Should -Be 'PeerChatServer'
        (Get-Job -Id $job.Id).InstanceId | Should -Be $job.InstanceId
        (Get-Job -Name $job.Name).InstanceId | Should -Be $job.InstanceId
        (Get-Job -State Running | Where-Object InstanceId -EQ $job.InstanceId) | Should -Not -BeNullOrEmpty
        $job.MaxClients | Should -Be 50
        $job.UserStorePath | Should -BeLike "$TestDrive*"
        $job.StartTime | Should -BeOfType [datetime]
    }

    It 'reports its events through Receive-Job, as objects' {
        $job = Start-TestServer
        $session = Connect-TestUser -UserName 'eve' -Port $job.Port
        Wait-Until { $job.ClientCount -eq 1 } 'the client is counted'

        $events = Receive-Job $job

        $events.EventType | Should -Contain 'ServerStarted'
        $events.EventType | Should -Contain 'SignedUp'
        $loggedIn = $events | Where-Object EventType -EQ 'ClientLoggedIn'
        $loggedIn.UserName | Should -Be 'eve'
        $loggedIn.ClientId | Should -Be $session.ClientId
        $loggedIn | Should -BeOfType 'PeerChat.PowerShell.Objects.PeerChatServerEvent'
    }

    It 'Stop-Job shuts down gracefully: clients get server_shutdown, the job is Stopped' {
        $job = Start-TestServer
        $session = Connect-TestUser -UserName 'frank' -Port $job.Port

        Stop-Job $job
        $notice = Receive-PeerChatMessage -Session $session -Wait -Timeout $TestTimeout

        $job.JobStateInfo.State | Should -Be 'Stopped'
        $notice.Kind | Should -Be 'Notice'
        $notice.Code | Should -Be 'server_shutdown'
        (Receive-Job $job).EventType | Should -Contain 'ServerStopped'
    }

    It 'Wait-Job returns when the server stops' {
        $job = Start-TestServer
        $job.StopJobAsync()

        $waited = Wait-Job $job -Timeout $TestTimeout.TotalSeconds

        $waited.InstanceId | Should -Be $job.InstanceId
        $job.JobStateInfo.State | Should -Be 'Stopped'
    }

    It 'Remove-Job -Force stops a running server first' {
        $job = Start-TestServer
        $port = $job.Port

        Remove-Job $job -Force

        $job.JobStateInfo.State | Should -Be 'Stopped'
        Get-Job -Id $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        { Connect-TestUser -UserName 'late' -Port $port } | Should -Throw -ErrorId 'ServerUnreachable,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }

    It 'fails at once and clearly on a port in use: PortInUse, and the job is Failed with the reason' {
        $first = Start-TestServer

        $second = Start-PeerChatServer -Port $first.Port -ListenAddress ([ipaddress]::Loopback) -UserStorePath (Join-Path $TestDrive 'other.csv') -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure[0].FullyQualifiedErrorId | Should -Be 'PortInUse,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
        $failure[0].Exception.Message | Should -Match "Port $($first.Port)"
        $second.JobStateInfo.State | Should -Be 'Failed'
        $second.JobStateInfo.Reason | Should -BeOfType [System.Net.Sockets.SocketException]
        { Start-PeerChatServer -Port $first.Port -ListenAddress ([ipaddress]::Loopback) -UserStorePath (Join-Path $TestDrive 'o2.csv') -ErrorAction Stop } |
            Should -Throw -ErrorId 'PortInUse,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
    }

    It 'Stop-PeerChatServer stops by name and from the pipeline, and says so for an unknown name' {
        $a = Start-TestServer
        $b = Start-TestServer

        Stop-PeerChatServer -Name $a.Name
        $b | Stop-PeerChatServer
        Stop-PeerChatServer -Name 'no-such-server' -ErrorVariable missing -ErrorAction SilentlyContinue

        $a.JobStateInfo.State | Should -Be 'Stopped'
        $b.JobStateInfo.State | Should -Be 'Stopped'
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'ServerJobNotFound,*'
    }

    It 'keeps at most -EventBufferSize events nobody read: drops the oldest, counts them, says so once per gap' {
        $job = Start-TestServer @{ EventBufferSize = 100 }
        function Invoke-ConnectAndClose([int] $Count) {
            # What the attacker did, cheaply: connections that say nothing and close, two events each.
            foreach ($i in 1..$Count) {
                $socket = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $job.Port)
                $socket.Close()
            }
        }

        function Get-RaisedEventCount {
            # ServerStarted, ClientConnected and ClientDisconnected for each accepted connection,
            # ClientRejected for each turned away (a burst of them passes MaxPendingPerAddress).
            $statistics = $job.Statistics
            if ($statistics.TotalConnections + $statistics.Rejected -lt $script:connected) { return -1 }
            1 + 2 * $statistics.TotalConnections + $statistics.Rejected
        }

        $script:connected = 150
        Invoke-ConnectAndClose 150
        Wait-Until { $job.DroppedEventCount + $job.Output.Count - 1 -eq (Get-RaisedEventCount) } 'every event was kept or dropped'
        $raised = Get-RaisedEventCount
        $job.Output.Count | Should -BeLessOrEqual 100
        $first = Receive-Job $job -WarningVariable firstWarnings -WarningAction SilentlyContinue

        $first[0].EventType | Should -Be 'EventsDropped'
        $first[0].Event.Count | Should -Be $job.DroppedEventCount
        $first[0].Detail | Should -Match "^$($job.DroppedEventCount) older events dropped"
        ($first | Where-Object EventType -EQ 'EventsDropped').Count | Should -Be 1
        ($first.Count - 1) + $job.DroppedEventCount | Should -Be $raised
        $firstWarnings.Count | Should -Be 1
        "$($firstWarnings[0])" | Should -Match 'at most 100 events'

        $droppedBefore = $job.DroppedEventCount
        $script:connected = 300
        Invoke-ConnectAndClose 150
        Wait-Until { $job.DroppedEventCount + $job.Output.Count - 1 + $first.Count - 1 -eq (Get-RaisedEventCount) } 'every later event was kept or dropped'
        $second = Receive-Job $job -WarningVariable secondWarnings -WarningAction SilentlyContinue

        $second[0].EventType | Should -Be 'EventsDropped'
        $second[0].Event.Count | Should -Be ($job.DroppedEventCount - $droppedBefore)
        ($second.Count - 1) + $second[0].Event.Count | Should -Be ((Get-RaisedEventCount) - $raised)
        $secondWarnings.Count | Should -Be 1
    }

    It 'refuses a setting out of range with a clear error' {
        { Start-PeerChatServer -Port 0 -IdleTimeout '-00:00:01' -UserStorePath (Join-Path $TestDrive 'x.csv') -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
    }

    It 'Stop-PeerChatServer with nothing named stops nothing: it needs a job, a name, an id or -All' {
        # In a child pwsh: a bare call asks for -Name, which a non-interactive session refuses.
        $script = "Import-Module '$((Get-Module PeerChat).Path)'; " +
            "`$job = Start-PeerChatServer -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath '$(Join-Path $TestDrive 'bare.csv')'; " +
            "try { Stop-PeerChatServer -ErrorAction Stop } catch { 'refused: ' + `$_.FullyQualifiedErrorId }; " +
            "'state: ' + `$job.JobStateInfo.State; Stop-PeerChatServer -All; 'after -All: ' + `$job.JobStateInfo.State"
        $output = '' | & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $script 2>&1 | Out-String

        $output | Should -Match 'refused: MissingMandatoryParameter,'
        $output | Should -Match 'state: Running'
        $output | Should -Match 'after -All: Stopped'
    }

    It 'shows a job in a table that fits 80 columns, with its endpoint as Location' {
        $job = Start-TestServer -Settings @{ Name = 'nightly-build-chat-server-01'; ListenAddress = [ipaddress]::IPv6Loopback }

        $table = Get-Job -Id $job.Id | Format-Table | Out-String -Width 80

        $job.Location | Should -Be "[::1]:$($job.Port)"
        $table | Should -Match 'nightly-build-chat-server-01'
        $table | Should -Match ([regex]::Escape("[::1]:$($job.Port)"))
        $table | Should -Match '0/50'
        $job | Stop-PeerChatServer
    }

    It 'Stop-PeerChatServer -All -WhatIf stops nothing, -All stops every running server' {
        $a = Start-TestServer
        $b = Start-TestServer

        Stop-PeerChatServer -All -WhatIf
        $a.JobStateInfo.State | Should -Be 'Running'
        Stop-PeerChatServer -All

        $a.JobStateInfo.State | Should -Be 'Stopped'
        $b.JobStateInfo.State | Should -Be 'Stopped'
    }
}
