# Offline delivery through the cmdlets: a message to a registered user who is offline is Queued,
# and arrives at Connect-PeerChat in Receive-PeerChatMessage and as PeerChat.MessageReceived, with
# Offline = $true and its original SentAt, each once.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    # A bare client of the library, logged in as $UserName: it reads what comes and never confirms
    # it, as a connection lost before its inbox held the messages. Returns the welcome and messages.
    function Get-UnconfirmedDelivery([int] $Port, [string] $UserName, [int] $Count) {
        $none = [Threading.CancellationToken]::None
        $client = [PeerChat.Core.Client.ChatClient]::ConnectAsync('127.0.0.1', $Port, $null, $none).GetAwaiter().GetResult()
        try {
            $welcome = $client.LoginAsync($UserName, $TestPassword, $none).GetAwaiter().GetResult()
            $timeout = [Threading.CancellationTokenSource]::new([timespan]'00:00:10')
            $messages = for ($i = 0; $i -lt $Count; $i++) { $client.Events.ReadAsync($timeout.Token).AsTask().GetAwaiter().GetResult() }
            [pscustomobject]@{ Welcome = $welcome; Messages = $messages }
        }
        finally {
            $client.DisposeAsync().AsTask().GetAwaiter().GetResult()
        }
    }
}

Describe 'Offline delivery' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'bob')
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'dave')
    }

    AfterAll {
        Get-EventSubscriber -SourceIdentifier PeerChat.MessageReceived -ErrorAction SilentlyContinue | Unregister-Event
        Get-Event -SourceIdentifier Test.Offline -ErrorAction SilentlyContinue | Remove-Event
        Remove-TestServers
    }

    It 'queues for an offline user; at Connect-PeerChat they arrive once, Offline, with their SentAt, also as events' {
        $receipts = 'first', 'second', 'third' | ForEach-Object { Send-PeerChatMessage -Session $alice -UserName bob -Message $_ -PassThru }
        $sentBefore = Get-Date
        # An engine event needs an action; this one re-queues it as Test.Offline for Wait-Event.
        $null = Register-EngineEvent -SourceIdentifier PeerChat.MessageReceived -Action {
            $null = New-Event -SourceIdentifier Test.Offline -EventArguments $Event.SourceArgs
        }

        $bob = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'bob')
        $received = Receive-PeerChatMessage -Session $bob -Wait -Count 3 -Timeout '00:00:10'
        $events = foreach ($i in 1..3) { Wait-Event -SourceIdentifier Test.Offline -Timeout 10 | ForEach-Object { $_.SourceArgs[0]; $_ | Remove-Event } }

        $receipts.Queued | Should -Be @($true, $true, $true)
        $receipts.Recipients | Should -Be @(0, 0, 0)
        $received.MessageId | Should -Be $receipts.MessageId
        $received.Text | Should -Be @('first', 'second', 'third')
        $received.Offline | Should -Be @($true, $true, $true)
        $received.Kind | Select-Object -Unique | Should -Be 'Direct'
        $received | ForEach-Object { $_.SentAt | Should -BeLessOrEqual $sentBefore }
        $received | ForEach-Object { $_.SentAt | Should -BeLessThan $_.ReceivedAt }
        # Each once; the engine's queue of re-raised events does not promise their order.
        $events.MessageId | Sort-Object | Should -Be ($receipts.MessageId | Sort-Object)
        $events.Offline | Should -Be @($true, $true, $true)

        # Confirmed once in the inbox: nothing comes again at the next login.
        Disconnect-PeerChat -Session $bob
        $again = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'bob')
        Send-PeerChatMessage -Session $alice -UserName bob -Message 'live now'
        (Receive-PeerChatMessage -Session $again -Wait -Timeout '00:00:10').Text | Should -Be 'live now'
        Disconnect-PeerChat -Session $again
    }

    It 'brings them again after a connection that did not confirm them, and the session shows each once' {
        $receipts = 'one', 'two' | ForEach-Object { Send-PeerChatMessage -Session $alice -UserName dave -Message $_ -PassThru }

        $lost = Get-UnconfirmedDelivery -Port $server.Port -UserName dave -Count 2
        $dave = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'dave')
        $received = Receive-PeerChatMessage -Session $dave -Wait -Count 2 -Timeout '00:00:10'
        Send-PeerChatBroadcast -Session $alice -Message 'fence'
        $rest = Receive-PeerChatMessage -Session $dave -Wait -Timeout '00:00:10'

        $lost.Welcome.Queued | Should -Be 2
        $lost.Messages.MessageId | Should -Be $receipts.MessageId
        $received.MessageId | Should -Be $receipts.MessageId
        $received.Offline | Should -Be @($true, $true)
        $rest.Text | Should -Be 'fence'
        Disconnect-PeerChat -Session $dave
    }

    It 'a receipt to an unknown user is still UserNotFound' {
        Send-PeerChatMessage -Session $alice -UserName nobody-here -Message 'hello?' -ErrorVariable failure -ErrorAction SilentlyContinue

        $failure.FullyQualifiedErrorId | Should -Be 'UserNotFound,PeerChat.PowerShell.Commands.SendPeerChatMessageCommand'
    }
}
