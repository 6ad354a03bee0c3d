# The inbox is bounded in bytes as well as in count (issue 11, finding 3): 10,000 direct messages of
# 64 KB, within the count, held 1.4 GB.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Connect-PeerChat -InboxLimitBytes' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
    }

    AfterAll {
        Remove-TestServers
    }

    It 'keeps the newest messages within the limit in bytes, and Receive-PeerChatMessage warns once of those dropped' {
        $small = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'dave') -SignUp -InboxLimitBytes 300KB
        $large = 'x' * 60000
        1..6 | ForEach-Object { Send-PeerChatMessage -Session $alice -UserName 'dave' -Message "$_ $large" -Route Direct }
        Wait-Until { $small.PendingMessages + $small.DroppedMessages -ge 6 } 'six messages reached the inbox'

        $kept = Receive-PeerChatMessage -Session $small -WarningVariable dropped -WarningAction SilentlyContinue
        $small | Disconnect-PeerChat -Confirm:$false

        # A message of 60,000 characters holds about 120 KB as .NET strings: two fit in 300 KB.
        $kept.Text | ForEach-Object { $_.Substring(0, 1) } | Should -Be '5', '6'
        $small.InboxLimitBytes | Should -Be 300KB
        $small.DroppedMessages | Should -Be 4
        @($dropped).Count | Should -Be 1
        "$($dropped[0])" | Should -BeLike '4 older message(s) for dave were dropped unread*0.29 MiB*-InboxLimitBytes*'
    }

    It 'refuses a limit under 1 KB' {
        { Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'erin') -SignUp -InboxLimitBytes 100 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PeerChat.PowerShell.Commands.ConnectPeerChatCommand'
    }

    It 'defaults to 64 MiB' {
        $alice.InboxLimitBytes | Should -Be 64MB
    }
}
