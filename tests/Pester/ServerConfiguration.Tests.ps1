# Every server setting reachable from PowerShell: a configuration file that
# New-PeerChatServerConfiguration writes with every default, read by Start-PeerChatServer -Configuration.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Write-Configuration([string] $Text) {
        $path = Join-Path $TestDrive "server-$(Get-Random).psd1"
        Set-Content -Path $path -Value $Text
        $path
    }

    function Start-ConfiguredServer([string] $Path, [hashtable] $Parameters = @{}) {
        # A message store of each server's own: the default, messages.db beside the user store, is one per folder.
        if (-not $Parameters.ContainsKey('MessageStorePath') -and -not $Parameters.ContainsKey('NoMessageStore')) { $Parameters.MessageStorePath = Join-Path $TestDrive "m-$(Get-Random).db" }
        Start-PeerChatServer -Configuration $Path -Port 0 -ListenAddress 127.0.0.1 -HashIterations 1000 -UserStorePath (Join-Path $TestDrive "u-$(Get-Random).csv") -ErrorAction Stop @Parameters
    }
}

Describe 'New-PeerChatServerConfiguration and Start-PeerChatServer -Configuration' -Tag Integration {
    AfterEach {
        Remove-TestServers
    }

    It 'writes every setting of the server with its default and description, and a server starts from the file as written' {
        $path = Join-Path $TestDrive 'every-default.psd1'

        $file = New-PeerChatServerConfiguration -Path $path
        $settings = Import-PowerShellDataFile $path
        $text = Get-Content -Raw $path
        $server = Start-ConfiguredServer $path

        $file.FullName | Should -Be $path
        foreach ($name in [PeerChat.Core.ServerSettings]::All.Name | Where-Object { $_ -ne 'ServerName' }) {
            $settings.Keys | Should -Contain $name -Because "$name is a server setting"
        }
        $settings.MaxClients | Should -Be 50
        $settings.IdleTimeout | Should -Be '00:30:00'
        $settings.MaxPendingPerAddress | Should -Be 10
        $text | Should -Match '# Connections one remote address may hold before logging in\.\s+MaxPendingPerAddress = 10'
        $server.JobStateInfo.State | Should -Be 'Running'
    }

    It 'refuses to overwrite a file without -Force' {
        $path = Join-Path $TestDrive 'twice.psd1'
        $null = New-PeerChatServerConfiguration $path

        { New-PeerChatServerConfiguration $path } | Should -Throw -ErrorId 'ConfigurationExists,PeerChat.PowerShell.Commands.NewPeerChatServerConfigurationCommand'
        New-PeerChatServerConfiguration $path -Force | Should -Not -BeNullOrEmpty
    }

    It 'applies the file''s settings, a parameter given winning over the file' {
        $path = Write-Configuration "@{ MaxClients = 2; IdleTimeout = 45; MaxPendingPerAddress = 3; Name = 'from-the-file' }"

        $fromFile = Start-ConfiguredServer $path
        $overridden = Start-ConfiguredServer $path @{ MaxClients = 7; Name = 'from-the-command-line' }
        $session = Connect-TestUser -UserName 'configured' -Port $fromFile.Port

        $fromFile.MaxClients | Should -Be 2
        $fromFile.Name | Should -Be 'from-the-file'
        $session.IdleTimeout | Should -Be ([timespan]::FromSeconds(45))
        $overridden.MaxClients | Should -Be 7
        $overridden.Name | Should -Be 'from-the-command-line'
    }

    It 'a setting no parameter reaches takes effect: MaxPendingPerAddress 1 turns a second pending connection away' {
        $path = Write-Configuration '@{ MaxPendingPerAddress = 1 }'
        $server = Start-ConfiguredServer $path
        $first = [Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        $second = [Net.Sockets.TcpClient]::new('127.0.0.1', $server.Port)
        try {
            (Read-RawLine $second) -join "`n" | Should -Match 'too_many_connections'
        }
        finally {
            $first.Dispose()
            $second.Dispose()
        }
    }

    It 'names the file, the key and the value it refuses' -TestCases @(
        @{ Text = "@{ MaxClient = 5 }"; Key = 'MaxClient'; Message = "*no setting 'MaxClient'*" }
        @{ Text = "@{ MaxClients = 'lots' }"; Key = 'MaxClients'; Message = "*MaxClients = 'lots'*whole number*" }
        @{ Text = "@{ IdleTimeout = 'soon' }"; Key = 'IdleTimeout'; Message = "*IdleTimeout = 'soon'*seconds*" }
        @{ Text = "@{ AllowSignup = 'yes' }"; Key = 'AllowSignup'; Message = "*AllowSignup = 'yes'*`$true or `$false*" }
        @{ Text = "@{ EventBufferSize = 1 }"; Key = 'EventBufferSize'; Message = "*EventBufferSize = '1'*" }
    ) {
        param($Text, $Key, $Message)
        $path = Write-Configuration $Text

        $failure = { Start-ConfiguredServer $path } | Should -Throw -ErrorId 'InvalidServerSetting,PeerChat.PowerShell.Commands.StartPeerChatServerCommand' -PassThru

        $failure.TargetObject | Should -Be $Key
        $failure.Exception.Message | Should -BeLike $Message
        $failure.Exception.Message | Should -BeLike "*$path*"
    }

    It 'names a value out of range: MinPasswordLength 0' {
        $path = Write-Configuration '@{ MinPasswordLength = 0 }'

        $failure = { Start-ConfiguredServer $path } | Should -Throw -ErrorId 'InvalidServerSetting,PeerChat.PowerShell.Commands.StartPeerChatServerCommand' -PassThru

        $failure.TargetObject | Should -Be 'MinPasswordLength'
        $failure.Exception.Message | Should -BeLike '*MinPasswordLength must be 1 to 1024*'
        $failure.Exception.Message | Should -BeLike "*$path*"
    }

    It 'reads only data: a file that would run code is refused, and so is a missing one' {
        $runs = Write-Configuration '@{ MaxClients = (Get-Random) }'

        { Start-ConfiguredServer $runs } | Should -Throw -ErrorId 'ConfigurationUnreadable,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
        { Start-ConfiguredServer (Join-Path $TestDrive 'none.psd1') } | Should -Throw -ErrorId 'ConfigurationNotFound,PeerChat.PowerShell.Commands.StartPeerChatServerCommand'
    }
}
