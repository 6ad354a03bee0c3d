# Join-PeerChatRoom, Exit-PeerChatRoom, Get-PeerChatRoom and Send-PeerChatBroadcast -Room, through
# the cmdlets against a real server with a message store of its own (Start-TestServer gives one).
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Room cmdlets' -Tag Unit {
    It 'Send-PeerChatBroadcast binds -Room and -Session by property name' {
        $parameters = (Get-Command Send-PeerChatBroadcast).Parameters
        foreach ($name in 'Room', 'Session') {
            $parameters[$name].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).ValueFromPipelineByPropertyName | Should -Contain $true
        }
    }
}

Describe 'Rooms' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
        $bob = Connect-TestUser -UserName 'bob' -Port $server.Port
        $carol = Connect-TestUser -UserName 'carol' -Port $server.Port
    }

    AfterAll {
        Remove-TestServers
    }

    AfterEach {
        foreach ($s in $alice, $bob, $carol) { $null = Receive-PeerChatMessage -Session $s }
    }

    It 'joins and lists rooms, and Get-PeerChatRoom -Joined | Send-PeerChatBroadcast reaches each room''s members only' {
        $joined = 'Ops', 'builds' | Join-PeerChatRoom -Session $alice -PassThru
        Join-PeerChatRoom -Session $bob -Room ops

        $rooms = Get-PeerChatRoom -Session $alice
        $receipts = Get-PeerChatRoom -Session $alice -Joined | Send-PeerChatBroadcast -Message 'maintenance at 18:00' -PassThru
        # Messages of one sender come in order: the broadcast to everyone after the room ones is a fence.
        Send-PeerChatBroadcast -Session $alice -Message 'fence'
        $atBob = Receive-PeerChatMessage -Session $bob -Wait -Count 2 -Timeout '00:00:10'
        $atCarol = Receive-PeerChatMessage -Session $carol -Wait -Timeout '00:00:10'

        $joined.Room | Should -Be @('Ops', 'builds')
        $joined.Created | Should -Be @($true, $true)
        ($rooms | Where-Object Room -EQ 'Ops').Members | Should -Be 2
        ($rooms | Where-Object Room -EQ 'Ops').Online | Should -Be 2
        $rooms.Joined | Should -Be @($true, $true)
        $receipts.Room | Should -Be @('builds', 'Ops')
        $receipts.Kind | Should -Be @('Room', 'Room')
        ($receipts | Where-Object Room -EQ 'Ops').Recipients | Should -Be 1
        $atBob[0].Kind | Should -Be 'Room'
        $atBob[0].Room | Should -Be 'Ops'
        $atBob[0].Text | Should -Be 'maintenance at 18:00'
        $atBob[0].MessageId | Should -Be ($receipts | Where-Object Room -EQ 'Ops').MessageId
        $atBob[1].Text | Should -Be 'fence'
        @($atCarol).Count | Should -Be 1
        $atCarol.Text | Should -Be 'fence'
        (Get-PeerChatRoom -Session $carol -Room 'o*').Joined | Should -BeFalse
    }

    It 'counts unread room messages until they are read with -MarkRead' {
        Join-PeerChatRoom -Session $alice -Room unread-room
        Join-PeerChatRoom -Session $bob -Room unread-room
        'one', 'two', 'three' | Send-PeerChatBroadcast -Session $alice -Room unread-room

        $before = (Get-PeerChatRoom -Session $bob -Room unread-room).Unread
        $read = Get-PeerChatRoom -Session $bob -Room unread-room | Get-PeerChatHistory -Last 3 -MarkRead

        $before | Should -Be 3
        $read.Text | Should -Be @('one', 'two', 'three')
        (Get-PeerChatRoom -Session $bob -Room unread-room).Unread | Should -Be 0
        (Get-PeerChatRoom -Session $bob -Room unread-room).LastMessageAt | Should -BeOfType [datetime]
    }

    It 'Exit-PeerChatRoom leaves; a room one is not in is NotInRoom, for that room only' {
        Join-PeerChatRoom -Session $bob -Room leave-me, stay-here

        Get-PeerChatRoom -Session $bob -Room leave-me | Exit-PeerChatRoom
        Exit-PeerChatRoom -Session $bob -Room leave-me, stay-here -ErrorVariable failures -ErrorAction SilentlyContinue
        Send-PeerChatBroadcast -Session $bob -Room stay-here -Message 'still here?' -ErrorVariable sendFailure -ErrorAction SilentlyContinue

        $failures.FullyQualifiedErrorId | Should -Be 'NotInRoom,PeerChat.PowerShell.Commands.ExitPeerChatRoomCommand'
        $failures.TargetObject | Should -Be 'leave-me'
        $sendFailure.FullyQualifiedErrorId | Should -Be 'NotInRoom,PeerChat.PowerShell.Commands.SendPeerChatBroadcastCommand'
        (Get-PeerChatRoom -Session $bob -Joined).Room | Should -Not -Contain 'leave-me'
    }

    It 'refuses a room name the rule refuses before asking, and names a room that does not exist' {
        Join-PeerChatRoom -Session $alice -Room 'no spaces', 'fine' -ErrorVariable badName -ErrorAction SilentlyContinue
        Get-PeerChatRoom -Session $alice -Room 'nowhere' -ErrorVariable missing -ErrorAction SilentlyContinue
        Send-PeerChatBroadcast -Session $alice -Room 'nowhere' -Message 'hello?' -ErrorVariable noRoom -ErrorAction SilentlyContinue

        $badName.FullyQualifiedErrorId | Should -Be 'InvalidRoomName,PeerChat.PowerShell.Commands.JoinPeerChatRoomCommand'
        (Get-PeerChatRoom -Session $alice -Joined).Room | Should -Contain 'fine'
        $missing.FullyQualifiedErrorId | Should -Be 'NoSuchRoom,PeerChat.PowerShell.Commands.GetPeerChatRoomCommand'
        $noRoom.FullyQualifiedErrorId | Should -Be 'NoSuchRoom,PeerChat.PowerShell.Commands.SendPeerChatBroadcastCommand'
    }
}

Describe 'Rooms on a server without a message store' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer -Settings @{ NoMessageStore = $true }
        $alice = Connect-TestUser -UserName 'alice' -Port $server.Port
    }

    AfterAll {
        Remove-TestServers
    }

    It 'says MessageStoreDisabled for rooms, history and conversations' {
        Join-PeerChatRoom -Session $alice -Room ops -ErrorVariable join -ErrorAction SilentlyContinue
        { Get-PeerChatRoom -Session $alice } | Should -Throw -ErrorId 'MessageStoreDisabled,PeerChat.PowerShell.Commands.GetPeerChatRoomCommand'
        Get-PeerChatHistory -Session $alice -ErrorVariable history -ErrorAction SilentlyContinue
        { Get-PeerChatConversation -Session $alice } | Should -Throw -ErrorId 'MessageStoreDisabled,PeerChat.PowerShell.Commands.GetPeerChatConversationCommand'

        $join.FullyQualifiedErrorId | Should -Be 'MessageStoreDisabled,PeerChat.PowerShell.Commands.JoinPeerChatRoomCommand'
        $history.FullyQualifiedErrorId | Should -Be 'MessageStoreDisabled,PeerChat.PowerShell.Commands.GetPeerChatHistoryCommand'
        $join.CategoryInfo.Category | Should -Be 'NotEnabled'
    }
}
