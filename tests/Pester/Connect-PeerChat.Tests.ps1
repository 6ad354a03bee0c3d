# Connect-PeerChat, Disconnect-PeerChat, Register-PeerChatUser, Get-PeerChatSession.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Connect-PeerChat' -Tag Unit {
    It 'takes the password only as a PSCredential' {
        $parameters = (Get-Command Connect-PeerChat).Parameters
        $parameters['Credential'].ParameterType | Should -Be ([pscredential])
        $parameters.Keys | Should -Not -Contain 'Password'
        Compare-Object @('ComputerName', 'Port', 'Credential', 'SignUp', 'NoDirect', 'InboxLimit', 'InboxLimitBytes', 'Reconnect', 'ReconnectMaxDelay', 'ReconnectAttempts', 'UseTls', 'ServerCertificateThumbprint', 'SkipCertificateCheck') ($parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters }) |
            Should -BeNullOrEmpty
    }
}

Describe 'Connect-PeerChat' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer -Settings @{ MaxClients = 2 }
    }

    AfterAll {
        Receive-Job $server | Format-Table | Out-String | Write-Host
        Remove-TestServers
    }

    AfterEach {
        Get-PeerChatSession | Disconnect-PeerChat -Confirm:$false
    }

    It 'signs up, logs in and makes the session the default' {
        $session = Connect-TestUser -UserName 'grace' -Port $server.Port

        $session.UserName | Should -Be 'grace'
        $session.State | Should -Be 'Open'
        $session.IsDefault | Should -BeTrue
        (Get-PeerChatSession -Default).Id | Should -Be $session.Id
        (Get-PeerChatClient).UserName | Should -Be 'grace'
    }

    It 'refuses a wrong password with InvalidCredentials, an AuthenticationError' {
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'heidi')

        $wrong = New-TestCredential 'heidi' -Password 'not the password'
        { Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential $wrong } |
            Should -Throw -ErrorId 'InvalidCredentials,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
        try { Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential $wrong } catch { $caught = $_ }
        $caught.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $caught | Out-String | Should -Not -Match 'not the password'
    }

    It 'gives a third client ServerFull when MaxClients is 2' {
        $null = Connect-TestUser -UserName 'ivan' -Port $server.Port
        $null = Connect-TestUser -UserName 'judy' -Port $server.Port

        { Connect-TestUser -UserName 'mallory' -Port $server.Port } |
            Should -Throw -ErrorId 'ServerFull,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }

    It 'says ServerUnreachable when nothing listens' {
        $listener = [System.Net.Sockets.TcpListener]::new([ipaddress]::Loopback, 0)
        $listener.Start(); $freePort = $listener.LocalEndpoint.Port; $listener.Stop()

        { Connect-TestUser -UserName 'nobody' -Port $freePort } |
            Should -Throw -ErrorId 'ServerUnreachable,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }

    It 'disconnects and reconnects' {
        $first = Connect-TestUser -UserName 'ken' -Port $server.Port

        Disconnect-PeerChat
        $closedState = $first.State
        $again = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'ken')

        $closedState | Should -Be 'Closed'
        { Get-PeerChatClient -Session $first } | Should -Throw -ErrorId 'NotConnected,PeerChat.PowerShell.Commands.GetPeerChatClientCommand'
        $again.State | Should -Be 'Open'
        (Get-PeerChatClient).UserName | Should -Be 'ken'
    }

    It 'says NotConnected when there is no session' {
        { Get-PeerChatClient } | Should -Throw -ErrorId 'NotConnected,PeerChat.PowerShell.Commands.GetPeerChatClientCommand'
        { Send-PeerChatBroadcast 'hi' } | Should -Throw -ErrorId 'NotConnected,PeerChat.PowerShell.Commands.SendPeerChatBroadcastCommand'
    }

    It 'Register-PeerChatUser is throttled past -SignupsPerAddressPerMinute, and logins go on' {
        $limited = Start-TestServer -Settings @{ SignupsPerAddressPerMinute = 2 }
        foreach ($name in 'ina', 'jon') {
            Register-PeerChatUser -ComputerName 127.0.0.1 -Port $limited.Port -Credential (New-TestCredential $name)
        }

        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $limited.Port -Credential (New-TestCredential 'kim') -ErrorVariable refused -ErrorAction SilentlyContinue
        $session = Connect-PeerChat -ComputerName 127.0.0.1 -Port $limited.Port -Credential (New-TestCredential 'ina')

        $refused[0].FullyQualifiedErrorId | Should -Be 'Throttled,PeerChat.PowerShell.Commands.RegisterPeerChatUserCommand'
        $refused[0].Exception.Message | Should -Match 'At most 2 new accounts a minute from one address; try again in \d+ s'
        $session.UserName | Should -Be 'ina'
    }

    It 'Register-PeerChatUser reports a taken name with UserExists, and supports -WhatIf' {
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'leo') -PassThru |
            Select-Object -ExpandProperty UserName | Should -Be 'leo'

        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'leo') -ErrorVariable taken -ErrorAction SilentlyContinue
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'whatif') -WhatIf

        $taken[0].FullyQualifiedErrorId | Should -Be 'UserExists,PeerChat.PowerShell.Commands.RegisterPeerChatUserCommand'
        { Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'whatif') } |
            Should -Throw -ErrorId 'InvalidCredentials,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }
}

Describe 'Connect-PeerChat past the sessions one address may hold' -Tag Integration {
    AfterAll {
        Remove-TestServers
    }

    It 'fails with TooManySessions, and succeeds once a session of that address has logged out' {
        $capped = Start-TestServer -Settings @{ MaxSessionsPerAddress = 1 }
        $first = Connect-TestUser -UserName 'olga' -Port $capped.Port

        { Connect-TestUser -UserName 'pete' -Port $capped.Port } |
            Should -Throw -ErrorId 'TooManySessions,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
        $first | Disconnect-PeerChat -Confirm:$false
        Wait-Until { $capped.ClientCount -eq 0 } -Because 'the first session has left'
        $second = Connect-PeerChat -ComputerName 127.0.0.1 -Port $capped.Port -Credential (New-TestCredential 'pete')

        $second.UserName | Should -Be 'pete'
    }
}
