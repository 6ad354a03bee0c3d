# Enter-PeerChat, driven in a real terminal: tmux runs pwsh, send-keys types, capture-pane reads.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Get-Screen { (& tmux capture-pane -p -t $tmuxSession) -join "`n" }

    function Wait-Screen {
        param([string] $Pattern, [string] $Because)
        try { Wait-Until { (Get-Screen) -match $Pattern } $Because }
        catch { throw "$($_.Exception.Message) The screen:`n$(Get-Screen)" }
    }

    function Send-Keys { param([Parameter(ValueFromRemainingArguments)] [string[]] $Keys) & tmux send-keys -t $tmuxSession @Keys }
}

Describe 'Enter-PeerChat outside a terminal' -Tag Integration {
    It 'refuses clearly where the host cannot read keys' {
        $server = Start-TestServer
        try {
            Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'scripted')
            $script = "Import-Module '$env:PEERCHAT_MODULE_PATH'; `$null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $($server.Port) -Credential ([pscredential]::new('scripted', (ConvertTo-SecureString '$TestPassword' -AsPlainText -Force))); try { Enter-PeerChat } catch { 'ERRORID ' + `$_.FullyQualifiedErrorId }"

            $output = '' | & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $script 2>&1

            $output | Should -Contain 'ERRORID HostNotInteractive,PeerChat.PowerShell.Commands.EnterPeerChatCommand'
        }
        finally {
            Remove-TestServers
        }
    }
}

Describe 'Enter-PeerChat' -Tag Integration {
    BeforeAll {
        $tmux = Get-Command tmux -ErrorAction SilentlyContinue
        $server = Start-TestServer
        $peer = Connect-TestUser -UserName 'peer' -Port $server.Port
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'typist')
        $tmuxSession = "pctest-$(Get-Random)"
        $consoleScript = Join-Path $TestDrive 'console.ps1'
        @"
Import-Module '$env:PEERCHAT_MODULE_PATH'
`$null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $($server.Port) -Credential ([pscredential]::new('typist', (ConvertTo-SecureString '$TestPassword' -AsPlainText -Force)))
Enter-PeerChat
'CONSOLE CLOSED'
Start-Sleep -Seconds 60
"@ | Set-Content $consoleScript
        if ($tmux) {
            & tmux new-session -d -s $tmuxSession -x 160 -y 40 "dotnet '$(Join-Path $PSHOME 'pwsh.dll')' -NoProfile -NoLogo -File '$consoleScript'"
        }
    }

    AfterAll {
        if ($tmux) { & tmux kill-session -t $tmuxSession 2>$null }
        Remove-TestServers
    }

    It 'shows CR, LF and escape sequences from a sender visibly, the continuation lines indented under the text' {
        if (-not $tmux) { Set-ItResult -Skipped -Because (Get-SkipReason 'tmux is not installed (.ci/run installs it, as does build.ps1 Test -Bootstrap)'); return }
        Wait-Screen '(?m)^typist>\s*$' 'the console shows its prompt'
        $esc = [char]27
        # A CR to rewind over the sender's name, a LF to start a line of its own (a fake notice), a
        # window retitle and an erase-line.
        $evil = "first line`r[12:00:00] admin (to you, relay): fake`n*** fake notice`n$esc]0;pwned$([char]7)$esc[2Kend"

        Send-PeerChatMessage -Session $peer -UserName 'typist' -Message $evil -Route Relay

        # '[hh:mm:ss] peer (to you, relay): ' is 33 columns: the continuations start under the text.
        Wait-Screen '(?m)^\[\d\d:\d\d:\d\d\] peer \(to you, relay\): first line␍\[12:00:00\] admin \(to you, relay\): fake\s*\n {33}\*\*\* fake notice\s*\n {33}␛\]0;pwned␇␛\[2Kend\s*\ntypist>' 'the message shows visibly, indented under its sender'
        (& tmux display-message -p -t $tmuxSession '#{pane_title}') | Should -Not -Be 'pwned'
    }

    It 'is an interactive chat like the original client: list, incoming while typing, /msg, msg_TEXT_ADDRESS, broadcast, /quit' {
        if (-not $tmux) { Set-ItResult -Skipped -Because (Get-SkipReason 'tmux is not installed (.ci/run installs it, as does build.ps1 Test -Bootstrap)'); return }
        Wait-Screen '(?m)^typist>\s*$' 'the console shows its prompt'

        Send-Keys '/list' Enter
        Wait-Screen '(?m)^\s+peer\s+127\.0\.0\.1:\d+' 'the list shows peer'
        Wait-Screen '(?m)^\s+typist\s+.*\(you\)' 'the list marks the typist'

        Send-Keys 'half-typed'
        Wait-Screen '(?m)^typist> half-typed\s*$' 'the typing is echoed'
        Send-PeerChatBroadcast -Session $peer -Message 'hello console'
        Wait-Screen '(?m)^\[\d\d:\d\d:\d\d\] peer: hello console\s*\ntypist> half-typed' 'the message appears above the line being typed'

        Send-Keys Escape '/msg peer hi from console' Enter
        (Receive-PeerChatMessage -Session $peer -Wait -Timeout $TestTimeout).Text | Should -Be 'hi from console'

        $peerAddress = (Get-PeerChatClient -Session $peer -UserName 'peer').Address
        Send-Keys "msg_via the_old form_$peerAddress" Enter
        $old = Receive-PeerChatMessage -Session $peer -Wait -Timeout $TestTimeout
        $old.Text | Should -Be 'via the_old form'
        $old.From | Should -Be 'typist'

        Send-Keys 'plain words go to everyone' Enter
        $broadcast = Receive-PeerChatMessage -Session $peer -Wait -Timeout $TestTimeout
        $broadcast.Kind | Should -Be 'Broadcast'
        $broadcast.Text | Should -Be 'plain words go to everyone'

        Send-Keys '/nonsense' Enter
        Wait-Screen "Unknown command '/nonsense'" 'an unknown command is refused, not broadcast'

        Send-Keys '/quit' Enter
        Wait-Screen 'CONSOLE CLOSED' 'the console ends on /quit'
        (Get-PeerChatClient -Session $peer).UserName | Should -Contain 'typist'
    }
}

Describe 'Enter-PeerChat with rooms, history and offline messages' -Tag Integration {
    BeforeAll {
        $tmux = Get-Command tmux -ErrorAction SilentlyContinue
        $server = Start-TestServer
        $peer = Connect-TestUser -UserName 'peer' -Port $server.Port
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential 'roomer')
        # Sent while roomer is offline: it waits for the console, unread.
        Send-PeerChatMessage -Session $peer -UserName roomer -Message 'while you were away'
        $tmuxSession = "pctest-$(Get-Random)"
        $consoleScript = Join-Path $TestDrive 'rooms-console.ps1'
        @"
Import-Module '$env:PEERCHAT_MODULE_PATH'
`$null = Connect-PeerChat -ComputerName 127.0.0.1 -Port $($server.Port) -Credential ([pscredential]::new('roomer', (ConvertTo-SecureString '$TestPassword' -AsPlainText -Force)))
Enter-PeerChat
'CONSOLE CLOSED'
Start-Sleep -Seconds 60
"@ | Set-Content $consoleScript
        if ($tmux) {
            & tmux new-session -d -s $tmuxSession -x 160 -y 40 "dotnet '$(Join-Path $PSHOME 'pwsh.dll')' -NoProfile -NoLogo -File '$consoleScript'"
        }
    }

    AfterAll {
        if ($tmux) { & tmux kill-session -t $tmuxSession 2>$null }
        Remove-TestServers
    }

    It 'shows unread and offline messages on entry; /join, /rooms, /history, /to and /leave talk where they say' {
        if (-not $tmux) { Set-ItResult -Skipped -Because (Get-SkipReason 'tmux is not installed (.ci/run installs it, as does build.ps1 Test -Bootstrap)'); return }
        Wait-Screen '(?m)^roomer>\s*$' 'the console shows its prompt'
        Wait-Screen 'Unread: @peer 1' 'the unread direct message is counted on entry'
        Wait-Screen '(?m)^\[\d\d:\d\d:\d\d\] peer \(to you, offline, sent \d{4}-\d\d-\d\d \d\d:\d\d\): while you were away' 'the offline message shows, with when it was sent'

        Send-Keys '/join ops' Enter
        Wait-Screen '\(joined #ops, a new room: roomer\)\s*\nroomer#ops>' 'the room is joined and becomes where lines go'
        Join-PeerChatRoom -Session $peer -Room ops
        Send-Keys 'hello room' Enter
        $inRoom = Receive-PeerChatMessage -Session $peer -Wait -Timeout '00:00:10'
        $inRoom.Kind | Should -Be 'Room'
        $inRoom.Room | Should -Be 'ops'
        $inRoom.Text | Should -Be 'hello room'

        Send-PeerChatBroadcast -Session $peer -Room ops -Message 'hello back'
        Wait-Screen '(?m)^\[\d\d:\d\d:\d\d\] #ops peer: hello back' 'a room message names its room'

        Send-Keys '/rooms' Enter
        Wait-Screen '(?m)^\s+#ops\s+2 members, 2 online, \d+ unread\s+\(joined\)' 'the rooms are listed'

        Send-Keys '/history 5' Enter
        Wait-Screen '(?m)^\[\d\d:\d\d:\d\d\] #ops roomer: hello room\s*\n\[\d\d:\d\d:\d\d\] #ops peer: hello back' 'the history of the room, oldest first'
        (Get-PeerChatHistory -Session $peer -Room ops).Text | Should -Be @('hello room', 'hello back')

        Send-Keys '/to @peer' Enter
        Wait-Screen '\(talking to @peer\)\s*\nroomer@peer>' 'lines now go to peer'
        Send-Keys 'just for you' Enter
        $direct = Receive-PeerChatMessage -Session $peer -Wait -Timeout '00:00:10'
        $direct.Kind | Should -Be 'Direct'
        $direct.Text | Should -Be 'just for you'

        Send-Keys '/leave ops' Enter
        Wait-Screen '\(left #ops\)' 'the room is left'
        (Get-PeerChatRoom -Session $peer -Room ops).Members | Should -Be 1

        Send-Keys '/to *' Enter
        Wait-Screen '\(talking to everyone\)\s*\nroomer>' 'back to everyone'
        Send-Keys 'to all again' Enter
        (Receive-PeerChatMessage -Session $peer -Wait -Timeout '00:00:10').Kind | Should -Be 'Broadcast'

        Send-Keys '/quit' Enter
        Wait-Screen 'CONSOLE CLOSED' 'the console ends on /quit'
    }
}
