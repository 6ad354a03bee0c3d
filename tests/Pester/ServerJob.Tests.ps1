# Start-PeerChatServer, Stop-PeerChatServer and the server as a PowerShell job.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Start-PeerChatServer' -Tag Unit {
    It 'has the expected parameters' {
        $expected = 'Port', 'ListenAddress', 'MaxClients', 'MaxSessionsPerAddress', 'ReservedSlots', 'IdleTimeout', 'MinMessages', 'AuthTimeout', 'MaxFrameBytes', 'HashIterations', 'UserStorePath', 'Certificate', 'CertificatePath', 'CertificatePassword', 'SelfSignedCertificate', 'DisableSignup', 'SignupsPerAddressPerMinute', 'FloodBytesBurst', 'FloodBytesRate', 'SendQueueSoftBytes', 'Name'
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
        $loggedIn | Should -BeOfType 'PeerChat.PowerShell.PeerChatServerEvent'
    }

    It 'Stop-Job shuts down gracefully: clients get server_shutdown, the job is Stopped' {
        $job = Start-TestServer
        $session = Connect-TestUser -UserName 'frank' -Port $job.Port

        Stop-Job $job
        $notice = Receive-PeerChatMessage -Session $session -Wait -Timeout '00:00:10'

        $job.JobStateInfo.State | Should -Be 'Stopped'
        $notice.Kind | Should -Be 'Notice'
        $notice.Code | Should -Be 'server_shutdown'
        (Receive-Job $job).EventType | Should -Contain 'ServerStopped'
    }

    It 'Wait-Job returns when the server stops' {
        $job = Start-TestServer
        $job.StopJobAsync()

        $waited = Wait-Job $job -Timeout 20

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

    It 'refuses a setting out of range with a clear error' {
        { Start-PeerChatServer -Port 0 -IdleTimeout '-00:00:01' -UserStorePath (Join-Path $TestDrive 'x.csv') -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidServerSetting,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
    }
}
