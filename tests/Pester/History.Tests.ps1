# Get-PeerChatHistory and Get-PeerChatConversation through the cmdlets: paging for the user over a
# server whose pages hold 5, cursors given as ids or as messages, read markers and the errors.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Get-PeerChatHistory' -Tag Integration {
    BeforeAll {
        # Pages of 5, so that every read below takes several; flood control wide enough for the fill.
        $configuration = Join-Path $TestDrive 'history.psd1'
        Set-Content $configuration '@{ HistoryPageMax = 5; FloodBurst = 1000; FloodRate = 1000 }'
        $server = Start-TestServer -Settings @{ Configuration = $configuration }
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        $bob = Connect-TestUser -UserName 'bob' -Port $server.Port
        $carol = Connect-TestUser -UserName 'carol' -Port $server.Port
        Join-PeerChatRoom -Session $alice -Room ops
        Join-PeerChatRoom -Session $bob -Room ops
        $sent = 1..23 | ForEach-Object { "line $_" } | Send-PeerChatBroadcast -Session $alice -Room ops -PassThru
        $ids = @($sent.MessageId)
    }

    AfterAll {
        Remove-TestServers
    }

    It '-All writes every message once, oldest first, across pages' {
        $all = Get-PeerChatHistory -Session $bob -Room ops -All

        $all.MessageId | Should -Be $ids
        $all.Text | Should -Be (1..23 | ForEach-Object { "line $_" })
        $all.Kind | Select-Object -Unique | Should -Be 'Room'
        $all.Room | Select-Object -Unique | Should -Be 'ops'
        $all[0].ReceivedAt | Should -Be $all[0].SentAt
    }

    It '-Last N writes the newest N, oldest first; the default is 50' {
        (Get-PeerChatHistory -Session $bob -Room ops -Last 12).MessageId | Should -Be $ids[11..22]
        (Get-PeerChatHistory -Session $bob -Room ops).MessageId | Should -Be $ids
    }

    It '-Before takes a message from the pipeline''s output, and names its conversation' {
        $page = Get-PeerChatHistory -Session $bob -Room ops -Last 5

        $older = Get-PeerChatHistory -Session $bob -Before $page[0] -Last 7
        $allOlder = Get-PeerChatHistory -Session $bob -Before $page[0] -All

        $older.MessageId | Should -Be $ids[11..17]
        $allOlder.MessageId | Should -Be $ids[0..17]
    }

    It '-After takes an id, and -Since a time' {
        (Get-PeerChatHistory -Session $bob -Room ops -After $ids[2] -Last 6).MessageId | Should -Be $ids[3..8]
        (Get-PeerChatHistory -Session $bob -Room ops -After $ids[2] -All).MessageId | Should -Be $ids[3..22]
        (Get-PeerChatHistory -Session $bob -Room ops -Since (Get-Date).AddHours(-1) -All).MessageId | Should -Be $ids
        Get-PeerChatHistory -Session $bob -Room ops -Since (Get-Date).AddHours(1) | Should -BeNullOrEmpty
    }

    It 'reads a direct conversation from either side, and broadcasts to everyone' {
        $receipt = Send-PeerChatMessage -Session $alice -UserName bob -Message 'just us' -Route Relay -PassThru
        Send-PeerChatBroadcast -Session $carol -Message 'to all'

        $atBob = Get-PeerChatHistory -Session $bob -With alice
        $atAlice = Get-PeerChatHistory -Session $alice -With bob
        $everyone = Get-PeerChatHistory -Session $bob -Last 1

        $atBob.MessageId | Should -Be $receipt.MessageId
        $atBob.Kind | Should -Be 'Direct'
        $atAlice.MessageId | Should -Be $receipt.MessageId
        $everyone.Text | Should -Be 'to all'
        $everyone.Kind | Should -Be 'Broadcast'
    }

    It 'counts unread in Get-PeerChatConversation until -MarkRead, and pipes a conversation into history' {
        $before = Get-PeerChatConversation -Session $bob
        Get-PeerChatConversation -Session $bob -Unread | Where-Object Kind -EQ 'Room' | Get-PeerChatHistory -Last 2 -MarkRead | Out-Null
        $after = Get-PeerChatConversation -Session $bob

        ($before | Where-Object Room -EQ 'ops').Unread | Should -Be 23
        ($after | Where-Object Room -EQ 'ops').Unread | Should -Be 0
        ($after | Where-Object Room -EQ 'ops').ReadUpTo | Should -Be $ids[22]
        ($before | Where-Object Kind -EQ 'Everyone') | Should -Not -BeNullOrEmpty
        ($after | Where-Object Kind -EQ 'Everyone').Name | Should -Be '*'
        (Get-PeerChatConversation -Session $bob -Unread).Kind | Should -Not -Contain 'Room'
    }

    It 'refuses what it cannot read with stable ErrorIds' {
        Get-PeerChatHistory -Session $carol -Room ops -ErrorVariable notMember -ErrorAction SilentlyContinue
        Get-PeerChatHistory -Session $bob -Room ops -Before 'm0000000000000000000000000' -ErrorVariable unknown -ErrorAction SilentlyContinue
        Get-PeerChatHistory -Session $bob -Room nowhere -ErrorVariable noRoom -ErrorAction SilentlyContinue

        $notMember.FullyQualifiedErrorId | Should -Be 'NotInRoom,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
        $unknown.FullyQualifiedErrorId | Should -Be 'NoSuchMessage,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
        $noRoom.FullyQualifiedErrorId | Should -Be 'NoSuchRoom,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
        { Get-PeerChatHistory -Session $bob -Room ops -With alice } | Should -Throw -ErrorId 'AmbiguousConversation,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
        { Get-PeerChatHistory -Session $bob -Room ops -Before $ids[3] -After $ids[1] } | Should -Throw -ErrorId 'AmbiguousCursor,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
        { Get-PeerChatHistory -Session $bob -Room ops -Last 3 -All } | Should -Throw -ErrorId 'AmbiguousCount,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
        { Get-PeerChatHistory -Session $bob -Before 42 } | Should -Throw -ErrorId 'InvalidCursor,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
    }
}
