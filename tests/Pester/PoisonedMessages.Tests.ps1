# One message that cannot be read must cost only itself (issue 11, finding 4): a direct message whose
# data held a lone surrogate ("\ud800") made the next Receive-PeerChatMessage throw, losing the whole
# batch, other users' messages too.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Open-RawLine {
        # A raw protocol connection, as an attacker scripts one: lines out, frames in.
        param([Parameter(Mandatory)] [string] $Endpoint)
        $address = [System.Net.IPEndPoint]::Parse($Endpoint)
        $tcp = [System.Net.Sockets.TcpClient]::new()
        $tcp.Connect($address)
        $stream = $tcp.GetStream()
        $stream.ReadTimeout = $TestTimeout.TotalMilliseconds
        $utf8 = [System.Text.UTF8Encoding]::new($false)
        [pscustomobject]@{
            Tcp    = $tcp
            Reader = [System.IO.StreamReader]::new($stream, $utf8)
            Writer = [System.IO.StreamWriter]::new($stream, $utf8)
        }
    }

    function Send-RawLine {
        param([Parameter(Mandatory)] $Line, [Parameter(Mandatory)] [string] $Json)
        $Line.Writer.Write($Json + "`n")
        $Line.Writer.Flush()
    }

    function Read-RawFrame {
        # The next frame of the given type (skipping others, failing on an error), or the next frame of any type.
        param([Parameter(Mandatory)] $Line, [string] $Type)
        for ($i = 0; $i -lt 20; $i++) {
            $text = $Line.Reader.ReadLine()
            if ($null -eq $text) { throw "The connection closed while waiting for '$Type'." }
            $frame = $text | ConvertFrom-Json
            if (-not $Type -or $frame.type -eq $Type) { return $frame }
            if ($frame.type -eq 'error') { throw "Waiting for '$Type', got $text" }
        }
        throw "No '$Type' within 20 frames."
    }
}

Describe 'A poisoned message' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $bob = Connect-TestUser -UserName 'bob' -Port $server.Port
        $carol = Connect-TestUser -UserName 'carol' -Port $server.Port
    }

    AfterAll {
        Remove-TestServers
    }

    It 'is refused on the direct link with bad_frame, and the messages around it are received' {
        # The attacker logs in raw and gets a valid token for bob, as any user can.
        $mallory = Open-RawLine "127.0.0.1:$($server.Port)"
        $null = Read-RawFrame $mallory 'hello'
        Send-RawLine $mallory '{"type":"signup","id":1,"user":"mallory","password":"correct horse battery"}'
        $null = Read-RawFrame $mallory
        Send-RawLine $mallory '{"type":"login","id":2,"user":"mallory","password":"correct horse battery"}'
        $null = Read-RawFrame $mallory 'welcome'
        Send-RawLine $mallory '{"type":"connect_peer","id":3,"to":"bob"}'
        $grant = Read-RawFrame $mallory 'peer'
        $link = Open-RawLine $grant.endpoint
        Send-RawLine $link (@{ type = 'peer_hello'; from = 'mallory'; token = $grant.token } | ConvertTo-Json -Compress)
        $null = Read-RawFrame $link 'peer_welcome'

        Send-RawLine $link '{"type":"message","messageId":"m-1","text":"before"}'
        $ack = Read-RawFrame $link
        Send-RawLine $link '{"type":"message","messageId":"m-2","text":"poisoned","data":{"x":"\ud800"}}'
        $refusal = Read-RawFrame $link
        Send-PeerChatBroadcast -Session $carol -Message 'from carol'
        Wait-Until { $bob.PendingMessages -ge 2 } 'the good message and the broadcast reached bob'
        $received = Receive-PeerChatMessage -Session $bob -ErrorVariable failures -ErrorAction SilentlyContinue
        $link.Tcp.Dispose(); $mallory.Tcp.Dispose()

        $ack.type | Should -Be 'ack'
        $refusal.type | Should -Be 'error'
        $refusal.code | Should -Be 'bad_frame'
        $received.Text | Should -Be 'before', 'from carol'
        $failures | Should -BeNullOrEmpty
    }

    It 'that reaches the inbox anyway is a non-terminating UnreadableMessage, the others are received, and subscribers hear of it' {
        # No frame with a lone surrogate gets past the checks where frames enter any more, so this
        # puts one straight into the session's stream of events: what would happen if some future
        # path forgot the check.
        $null = Register-EngineEvent -SourceIdentifier PeerChat.MessageReceived -Action {
            $message = $Event.SourceArgs[0]
            if ($message.Code -eq 'unreadable_message') { $null = New-Event -SourceIdentifier Test.Unreadable -EventArguments $message }
        }
        try {
            $flags = [System.Reflection.BindingFlags]'NonPublic, Instance'
            $live = [PeerChat.PowerShell.Objects.PeerChatSession].GetProperty('Live', $flags).GetValue($bob)
            $client = $live.GetType().GetProperty('Client').GetValue($live)
            $events = [PeerChat.Core.Client.ChatClient].GetField('_events', $flags).GetValue($client)
            $poisoned = [System.Text.Json.JsonDocument]::Parse('{"x":"\ud800"}').RootElement
            foreach ($m in @(('m-a', 'first', $null), ('m-b', 'poisoned', $poisoned), ('m-c', 'last', $null))) {
                $data = if ($null -ne $m[2]) { [Nullable[System.Text.Json.JsonElement]]$m[2] } else { $null }
                $message = [PeerChat.Core.Client.ChatMessage]::new([DateTimeOffset]::UtcNow, 'Direct', 'Direct', $m[0], 'mallory', $null, 'bob', $m[1], $data, [DateTimeOffset]::UtcNow)
                $events.Writer.TryWrite($message) | Should -BeTrue
            }
            Wait-Until { $bob.PendingMessages -ge 3 } 'the three messages reached the inbox'
            $heard = Wait-Event -SourceIdentifier Test.Unreadable -Timeout $TestTimeout.TotalSeconds

            $received = Receive-PeerChatMessage -Session $bob -ErrorVariable failures -ErrorAction SilentlyContinue

            $received.Text | Should -Be 'first', 'last'
            @($failures).Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'UnreadableMessage,*'
            $failures[0].CategoryInfo.Category | Should -Be 'InvalidData'
            "$($failures[0])" | Should -BeLike '*from mallory (m-b)*'
            $heard | Should -Not -BeNullOrEmpty
            $heard.SourceArgs[0].Text | Should -BeLike '*from mallory (m-b)*'
        }
        finally {
            Unregister-Event -SourceIdentifier PeerChat.MessageReceived -ErrorAction SilentlyContinue
            Get-Event -SourceIdentifier Test.Unreadable -ErrorAction SilentlyContinue | Remove-Event
        }
    }
}
