# irssi and WeeChat on the IRC gateway, each in a real terminal: tmux runs the client with a home of
# its own under $TestDrive, send-keys types, capture-pane reads. WeeChat is its terminal interface
# (`weechat`, Debian's weechat-curses): weechat-headless reads no keys.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/IrcTestHelpers.ps1


    function Get-Screen { (& tmux capture-pane -p -t $tmuxSession) -join "`n" }

    function Wait-Screen {
        param([string] $Pattern, [string] $Because)
        try { Wait-Until { (Get-Screen) -match $Pattern } $Because }
        catch { throw "$($_.Exception.Message) The screen:`n$(Get-Screen)" }
    }

    function Send-Keys { param([Parameter(ValueFromRemainingArguments)] [string[]] $Keys) & tmux send-keys -t $tmuxSession @Keys }

    function Watch-Presence {
        # PeerChat.ClientJoined / ClientLeft re-queued as Test.<name> for Wait-Presence.
        foreach ($name in 'PeerChat.ClientJoined', 'PeerChat.ClientLeft') {
            $null = Register-EngineEvent -SourceIdentifier $name -Action {
                $null = New-Event -SourceIdentifier "Test.$($Event.SourceIdentifier)" -EventArguments $Event.SourceArgs
            }
        }
    }

    function Wait-Presence {
        # The presence event of -UserName (others' are dropped), within $TestTimeout.
        param([ValidateSet('ClientJoined', 'ClientLeft')] [string] $Kind, [string] $UserName)
        $deadline = [datetime]::UtcNow + $TestTimeout
        while ([datetime]::UtcNow -lt $deadline) {
            $left = [math]::Max(1, [int]($deadline - [datetime]::UtcNow).TotalSeconds)
            $event = Wait-Event -SourceIdentifier "Test.PeerChat.$Kind" -Timeout $left
            if (-not $event) { break }
            $event | Remove-Event
            if ($event.SourceArgs[0].UserName -eq $UserName) { return $event.SourceArgs[0] }
        }
        throw "Timed out after $TestTimeout waiting for PeerChat.$Kind of $UserName."
    }

    function Initialize-RoomWithHistory {
        # A server with the IRC port, pat in #ops with two lines of history, and -UserName's account.
        # Returns the server, pat's session and the history lines' times as a client shows them (UTC).
        param([string] $UserName)
        $server = Start-TestServer -Settings @{ IrcPort = 0 }
        $pat = Connect-TestUser -UserName 'pat' -Port $server.Port
        Register-PeerChatUser -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential $UserName -Password $script:IrcPassword)
        Join-PeerChatRoom -Session $pat -Room ops
        Send-PeerChatBroadcast -Session $pat -Room ops -Message 'first in ops'
        Send-PeerChatBroadcast -Session $pat -Room ops -Message 'second in ops'
        $times = @(Get-PeerChatHistory -Session $pat -Room ops | ForEach-Object { $_.SentAt.ToUniversalTime().ToString('HH:mm:ss') })
        # The replay must show when the lines were sent, not when they arrive: let the clock's
        # second move on, so that the two cannot look alike.
        Wait-Until { [datetime]::UtcNow.ToString('HH:mm:ss') -ne $times[-1] } 'the clock is a second past the history'
        [pscustomobject]@{ Server = $server; Pat = $pat; Times = $times }
    }
}

Describe 'irssi on the IRC gateway' -Tag Integration {
    BeforeAll {
        $missing = Get-MissingIrcTool tmux, irssi
        $setup = Initialize-RoomWithHistory -UserName 'ivy'
        $pat = $setup.Pat
        $tmuxSession = "pcirc-$(Get-Random)"
        $irssiHome = Join-Path $TestDrive 'irssi'
        New-Item -ItemType Directory $irssiHome | Out-Null
        # Run at start: seconds in the times, and the time a line was sent (server-time) shown.
        "/set timestamp_format %H:%M:%S`n/set show_server_time on`n" | Set-Content -NoNewline (Join-Path $irssiHome 'startup')
        Watch-Presence
        if (-not $missing) {
            & tmux new-session -d -s $tmuxSession -x 160 -y 40 "TZ=UTC irssi --home='$irssiHome' -c 127.0.0.1 -p $($setup.Server.IrcPort) -w '$IrcPassword' -n ivy"
        }
    }

    AfterAll {
        if (-not $missing) { & tmux kill-session -t $tmuxSession 2>$null }
        Get-EventSubscriber | Where-Object SourceIdentifier -Like 'PeerChat.*' | Unregister-Event
        Get-Event | Remove-Event
        Remove-TestServers
    }

    It 'connects with the password, joins a room and shows its history with its times, talks with PowerShell, quits' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $joined = Wait-Presence ClientJoined 'ivy'
        $joined.Joined | Should -BeTrue
        Wait-Screen 'Welcome to' 'irssi is registered'
        (Get-PeerChatClient -Session $pat -UserName 'ivy').Via | Should -Be 'irc'

        Send-Keys '/join #ops' Enter
        Wait-Screen "(?m)^$($setup.Times[0]) <.?pat> first in ops\s*\n$($setup.Times[1]) <.?pat> second in ops" 'the replayed history shows with the times it was sent'

        Send-Keys 'hello from irssi' Enter
        $fromIrssi = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $fromIrssi.Kind | Should -Be 'Room'
        $fromIrssi.Room | Should -Be 'ops'
        $fromIrssi.From | Should -Be 'ivy'
        $fromIrssi.Text | Should -Be 'hello from irssi'

        Send-PeerChatBroadcast -Session $pat -Room ops -Message 'hello irssi'
        Wait-Screen '(?m)^\d\d:\d\d:\d\d <.?pat> hello irssi' 'the PowerShell line shows in the room'

        Send-Keys '/quit see you' Enter
        $left = Wait-Presence ClientLeft 'ivy'
        $left.Joined | Should -BeFalse
        Get-PeerChatClient -Session $pat -UserName 'ivy' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}

Describe 'WeeChat on the IRC gateway' -Tag Integration {
    BeforeAll {
        $missing = Get-MissingIrcTool tmux, weechat
        $setup = Initialize-RoomWithHistory -UserName 'wendy'
        $pat = $setup.Pat
        $tmuxSession = "pcirc-$(Get-Random)"
        $weechatHome = Join-Path $TestDrive 'weechat'
        Watch-Presence
        if (-not $missing) {
            # SASL PLAIN this time (irssi used the server password); no side bars, so lines start at
            # the left edge. -d keeps WeeChat's files under $TestDrive.
            $commands = "/set weechat.bar.buflist.hidden on;/set weechat.bar.nicklist.hidden on;" +
                "/server add pc 127.0.0.1/$($setup.Server.IrcPort) -notls -nicks=wendy -username=wendy -sasl_mechanism=plain -sasl_username=wendy -sasl_password=$IrcPassword;/connect pc"
            & tmux new-session -d -s $tmuxSession -x 160 -y 40 "TZ=UTC weechat -d '$weechatHome' -r '$commands'"
        }
    }

    AfterAll {
        if (-not $missing) { & tmux kill-session -t $tmuxSession 2>$null }
        Get-EventSubscriber | Where-Object SourceIdentifier -Like 'PeerChat.*' | Unregister-Event
        Get-Event | Remove-Event
        Remove-TestServers
    }

    It 'connects with SASL, joins a room and shows its history with its times, talks with PowerShell, quits' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $joined = Wait-Presence ClientJoined 'wendy'
        $joined.Joined | Should -BeTrue
        # WeeChat shows #everyone once it is in; the SASL outcome is in the core buffer (number 1).
        Send-Keys '/buffer 1' Enter
        Wait-Screen 'SASL authentication successful' 'WeeChat logged in with SASL'
        (Get-PeerChatClient -Session $pat -UserName 'wendy').Via | Should -Be 'irc'

        Send-Keys '/join #ops' Enter
        Wait-Screen "(?m)^$($setup.Times[0]) +.?pat \| first in ops\s*\n$($setup.Times[1]) +.?pat \| second in ops" 'the replayed history shows with the times it was sent'

        Send-Keys 'hello from weechat' Enter
        $fromWeechat = Receive-PeerChatMessage -Session $pat -Wait -Timeout $TestTimeout
        $fromWeechat.Kind | Should -Be 'Room'
        $fromWeechat.Room | Should -Be 'ops'
        $fromWeechat.From | Should -Be 'wendy'
        $fromWeechat.Text | Should -Be 'hello from weechat'

        Send-PeerChatBroadcast -Session $pat -Room ops -Message 'hello weechat'
        Wait-Screen '(?m)^\d\d:\d\d:\d\d +.?pat \| hello weechat' 'the PowerShell line shows in the room'

        Send-Keys '/quit see you' Enter
        $left = Wait-Presence ClientLeft 'wendy'
        $left.Joined | Should -BeFalse
        Get-PeerChatClient -Session $pat -UserName 'wendy' -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
