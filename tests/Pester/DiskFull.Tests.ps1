# The disk under the message store fills up, for real: the server runs in a mount namespace of its
# own with its store on a 4 MiB tmpfs that a ballast file fills. Senders are told StoreUnavailable,
# online users still get the messages live, and storing resumes once the ballast is deleted.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Start-ServerOnTinyDisk {
        $start = [System.Diagnostics.ProcessStartInfo]::new('unshare')
        $folder = Join-Path $TestDrive "tiny-$(Get-Random)"
        New-Item -ItemType Directory $folder | Out-Null
        $arguments = '-m', 'dotnet', (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', "$PSScriptRoot/diskfull/Server.ps1",
            $env:PEERCHAT_MODULE_PATH, $folder, (Join-Path $TestDrive "users-$(Get-Random).csv")
        foreach ($a in $arguments) { $start.ArgumentList.Add($a) }
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.UseShellExecute = $false
        [System.Diagnostics.Process]::Start($start)
    }

    function Read-Report {
        # The next line of the server's output that starts with one of $Prefixes, within twice the
        # shared wait (the first comes only after a pwsh has started).
        param([System.Diagnostics.Process] $Process, [string[]] $Prefixes)
        $timeout = $TestTimeout * 2
        $deadline = [datetime]::UtcNow + $timeout
        while ($true) {
            $remaining = $deadline - [datetime]::UtcNow
            $read = $Process.StandardOutput.ReadLineAsync()
            if ($remaining -le [timespan]::Zero -or -not $read.Wait($remaining)) { throw "No '$Prefixes' from the server within $timeout. Its errors: $($Process.StandardError.ReadToEnd())" }
            if ($null -eq $read.Result) { throw "The server ended before '$Prefixes'. Its errors: $($Process.StandardError.ReadToEnd())" }
            foreach ($prefix in $Prefixes) { if ($read.Result.StartsWith($prefix)) { return $read.Result } }
        }
    }

    $script:skipReason = $null
    if (-not (Get-Command unshare -ErrorAction SilentlyContinue)) { $script:skipReason = 'unshare (util-linux) is not installed' }
    elseif (($probe = & unshare -m true 2>&1) -or $LASTEXITCODE -ne 0) { $script:skipReason = "mount namespaces are not permitted here ($probe)" }
    $script:skipReason = Get-SkipReason $skipReason
}

AfterAll {
    if ($server -and -not $server.HasExited) { $server.Kill($true) }
}

Describe 'A message store on a full disk' -Tag Integration {
    AfterEach {
        Get-PeerChatSession | Disconnect-PeerChat -Confirm:$false -ErrorAction SilentlyContinue
    }

    It 'refuses with StoreUnavailable, still delivers live, and stores again once there is space' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        $script:server = Start-ServerOnTinyDisk
        $ready = Read-Report $server 'READY', 'NOMOUNT'
        if ($ready.StartsWith('NOMOUNT')) { Set-ItResult -Skipped -Because (Get-SkipReason "a tmpfs cannot be mounted here ($ready)"); return }
        $port = [int]($ready -split ' ')[1]
        $alice = Connect-TestUser alice $port
        $bob = Connect-TestUser bob $port
        $null = Connect-TestUser carol $port | Disconnect-PeerChat -Confirm:$false
        $text = 'x' * 2000

        # 192 KiB were left free: a few dozen 2 KB messages fill it. Bounded well past that.
        $refused = $null
        for ($sent = 1; $sent -le 2000 -and -not $refused; $sent++) {
            try { Send-PeerChatBroadcast -Session $alice -Message "$sent $text" -ErrorAction Stop }
            catch { $refused = $_; $lastText = "$sent $text" }
        }
        $toOffline = { Send-PeerChatMessage -Session $alice -To carol -Message 'for later' -ErrorAction Stop } | Should -Throw -PassThru
        $atBob = Receive-PeerChatMessage -Session $bob -Wait -Count ($sent - 1) -Timeout $TestTimeout
        $server.StandardInput.WriteLine('free')
        $null = Read-Report $server 'FREED'
        $resumed = Send-PeerChatBroadcast -Session $alice -Message 'space again' -PassThru -ErrorAction Stop
        $history = Get-PeerChatHistory -Session $bob -Last 1
        $server.StandardInput.WriteLine('stop')
        $null = Read-Report $server 'STOPPED'

        $refused | Should -Not -BeNullOrEmpty -Because 'a 4 MiB disk cannot take 2,000 messages of 2 KB'
        $refused.FullyQualifiedErrorId | Should -Be 'StoreUnavailable,PeerChat.PowerShell.Commands.SendPeerChatBroadcastCommand'
        $refused.Exception.Message | Should -Match 'stor'
        $toOffline.FullyQualifiedErrorId | Should -BeLike 'StoreUnavailable,*'
        $atBob.Count | Should -Be ($sent - 1) -Because 'bob was online: every broadcast reached him, stored or not'
        $atBob[-1].Text | Should -Be $lastText
        $resumed.Recipients | Should -Be 1
        $history.Text | Should -Be 'space again'
        $history.MessageId | Should -Be $resumed.MessageId
    }
}
