# Write-Progress where work takes long from the user's view.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
}

Describe 'Progress' -Tag Integration {
    BeforeAll {
        $server = Start-TestServer
        $names = 1..5 | ForEach-Object { "listener$_" }
        foreach ($name in $names) { $null = Connect-TestUser -UserName $name -Port $server.Port }
        $sender = Connect-TestUser -UserName 'progress-sender' -Port $server.Port

        # A runspace of its own, so its progress stream can be read.
        $ps = [powershell]::Create()
        $null = $ps.AddScript({ param($module) Import-Module $module }).AddArgument($env:PEERCHAT_MODULE_PATH)
        $null = $ps.Invoke()
        $ps.Commands.Clear()
    }

    AfterAll {
        $ps.Dispose()
        Remove-TestServers
    }

    It 'reports progress while sending to many users from the pipeline' {
        $null = $ps.AddScript({ param($session, $names) $names | Send-PeerChatMessage -Session $session -Message 'batch' }).AddArgument($sender).AddArgument($names)
        $null = $ps.Invoke()
        $ps.Commands.Clear()

        $records = @($ps.Streams.Progress | Where-Object Activity -EQ 'Sending PeerChat messages')
        $ps.Streams.Progress.Clear()

        $records.Count | Should -BeGreaterOrEqual 5
        $records.CurrentOperation | Should -Contain 'To listener5'
        $records[-1].RecordType | Should -Be 'Completed'
    }

    It 'writes no progress for a single message, so a script sending one per call pays nothing for it' {
        $null = $ps.AddScript({ param($session) Send-PeerChatMessage -Session $session -UserName 'listener1' -Message 'one'; Send-PeerChatMessage -Session $session -UserName 'listener2' -Message 'two' -PassThru }).AddArgument($sender)
        $receipt = $ps.Invoke()
        $ps.Commands.Clear()

        $records = @($ps.Streams.Progress | Where-Object Activity -EQ 'Sending PeerChat messages')
        $ps.Streams.Progress.Clear()

        $receipt.Recipients | Should -Be 1
        $records | Should -BeNullOrEmpty
    }

    It 'reports progress while Receive-PeerChatMessage -Wait waits' {
        $null = $ps.AddScript({ param($session) Receive-PeerChatMessage -Session $session -Wait -Timeout '00:00:00.800' }).AddArgument($sender)
        $received = $ps.Invoke()
        $ps.Commands.Clear()

        $records = @($ps.Streams.Progress | Where-Object Activity -Like 'Waiting for PeerChat messages*')
        $received | Should -BeNullOrEmpty
        $records.Count | Should -BeGreaterOrEqual 2
        $records[0].StatusDescription | Should -Be 'Waiting for the first message'
        $records[-1].RecordType | Should -Be 'Completed'
    }
}
