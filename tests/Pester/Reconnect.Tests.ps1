# Connect-PeerChat -Reconnect: a session comes back after a server restart or a lost connection, and
# stays away after session_replaced and Disconnect-PeerChat. Coming back after the idle rule is tested
# in xunit on a fake clock (ReconnectTests); without -Reconnect, in Messaging.Tests.ps1.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Watch-PeerChatEvent([string] $SourceIdentifier) {
        # An engine event needs an action; this one re-queues it as Test.<name> for Wait-Event.
        $null = Register-EngineEvent -SourceIdentifier $SourceIdentifier -Action {
            $null = New-Event -SourceIdentifier "Test.$($Event.SourceIdentifier)" -Sender $Event.Sender -EventArguments $Event.SourceArgs
        }
    }

    function Connect-Bot([string] $UserName, [int] $Port, [switch] $SignUp) {
        # -ReconnectMaxDelay 1: while the server is away, attempts come at most a second apart.
        Connect-PeerChat -ComputerName 127.0.0.1 -Port $Port -Credential (New-TestCredential $UserName) -SignUp:$SignUp -Reconnect -ReconnectMaxDelay 1 -ErrorAction Stop
    }

    function Stop-TestServer($Server) {
        $Server | Stop-PeerChatServer -Confirm:$false
        $null = $Server | Wait-Job -Timeout $TestTimeout.TotalSeconds
    }
}

Describe 'Connect-PeerChat -Reconnect' -Tag Integration {
    BeforeEach {
        Watch-PeerChatEvent PeerChat.Reconnected
        Watch-PeerChatEvent PeerChat.Disconnected
    }

    AfterEach {
        Get-EventSubscriber | Where-Object SourceIdentifier -Like 'PeerChat.*' | Unregister-Event
        Get-Event | Remove-Event
        Remove-TestServers
    }

    It 'comes back when the server restarts on the same port, with its direct-message listener' {
        $first = Start-TestServer
        $bot = Connect-Bot -UserName 'survivor' -Port $first.Port -SignUp
        # Only the bot holds a session: each PeerChat.Disconnected here is its own.
        $null = Register-PeerChatUser -ComputerName 127.0.0.1 -Port $first.Port -Credential (New-TestCredential 'caller') -ErrorAction Stop
        $port, $store = $first.Port, $first.UserStorePath

        Stop-TestServer $first
        $disconnected = Wait-Event -SourceIdentifier Test.PeerChat.Disconnected -Timeout $TestTimeout.TotalSeconds
        $second = Start-TestServer -Settings @{ Port = $port; UserStorePath = $store }
        $reconnected = Wait-Event -SourceIdentifier Test.PeerChat.Reconnected -Timeout $TestTimeout.TotalSeconds
        $caller = Connect-PeerChat -ComputerName 127.0.0.1 -Port $second.Port -Credential (New-TestCredential 'caller') -ErrorAction Stop
        $receipt = Send-PeerChatMessage -Session $caller -UserName 'survivor' -Message 'welcome back' -Route Direct -PassThru
        $reply = Receive-PeerChatMessage -Session $bot -From 'caller' -Wait -Timeout $TestTimeout
        $notices = Receive-PeerChatMessage -Session $bot | Where-Object Kind -EQ 'Notice'

        $disconnected.SourceArgs[0].Reason | Should -Be 'server_shutdown'
        $disconnected.SourceArgs[0].Reconnecting | Should -BeTrue
        $reconnected.SourceArgs[0].Reason | Should -Be 'server_shutdown'
        $reconnected.SourceArgs[0].Attempts | Should -BeGreaterOrEqual 1
        $reconnected.Sender | Should -Be $bot
        $notices.Code | Should -Contain 'server_shutdown' -Because 'the notice of the drop still reaches Receive-PeerChatMessage'
        $notices.Code | Should -Contain 'reconnected'
        $bot.Reconnect | Should -BeTrue
        $bot.State | Should -Be 'Open'
        $bot.ReconnectCount | Should -Be 1
        $bot.DirectPort | Should -Not -BeNullOrEmpty
        $receipt.Route | Should -Be 'Direct'
        $reply.Text | Should -Be 'welcome back'
    }

    It 'does not reconnect after session_replaced: another login of the same user took over' {
        $server = Start-TestServer
        $bot = Connect-Bot -UserName 'twin' -Port $server.Port -SignUp

        $null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'twin') -ErrorAction Stop
        $disconnected = Wait-Event -SourceIdentifier Test.PeerChat.Disconnected -Timeout $TestTimeout.TotalSeconds
        $notices = Receive-PeerChatMessage -Session $bot

        $disconnected.SourceArgs[0].Reason | Should -Be 'session_replaced'
        $disconnected.SourceArgs[0].Reconnecting | Should -BeFalse
        $bot.State | Should -Be 'Closed'
        $bot.ReconnectCount | Should -Be 0
        $bot.CloseReason | Should -Not -BeNullOrEmpty
        $notices.Code | Should -Contain 'session_replaced'
        { Send-PeerChatBroadcast -Session $bot -Message 'me too' -ErrorAction Stop } | Should -Throw -ErrorId 'NotConnected,PeerChat.PowerShell.Commands.SendPeerChatBroadcastCommand'
    }

    It 'stops reconnecting at Disconnect-PeerChat, even while it is waiting to come back' {
        $first = Start-TestServer
        $bot = Connect-Bot -UserName 'quitter' -Port $first.Port -SignUp
        $port, $store = $first.Port, $first.UserStorePath

        Stop-TestServer $first
        $null = Wait-Event -SourceIdentifier Test.PeerChat.Disconnected -Timeout $TestTimeout.TotalSeconds
        $stateWhileAway = $bot.State
        { Send-PeerChatBroadcast -Session $bot -Message 'anyone?' -ErrorAction Stop } | Should -Throw -ErrorId 'SessionReconnecting,PeerChat.PowerShell.Commands.SendPeerChatBroadcastCommand'
        Disconnect-PeerChat -Session $bot -Confirm:$false
        $second = Start-TestServer -Settings @{ Port = $port; UserStorePath = $store }
        $watcher = Connect-TestUser -UserName 'watcher' -Port $second.Port
        # Bounded: with attempts at most a second apart, a reconnect would have come within 3 s.
        $reconnected = Wait-Event -SourceIdentifier Test.PeerChat.Reconnected -Timeout 3

        $stateWhileAway | Should -Be 'Reconnecting'
        $reconnected | Should -BeNullOrEmpty
        $bot.State | Should -Be 'Closed'
        $bot.ReconnectCount | Should -Be 0
        (Get-PeerChatClient -Session $watcher).UserName | Should -Not -Contain 'quitter'
    }

}
