# The module as a whole: what the manifest exports, output types and their views.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $manifest = Import-PowerShellDataFile $env:PEERCHAT_MODULE_PATH
    $commands = Get-Command -Module PeerChat
}

Describe 'The PeerChat module' -Tag Unit {
    It 'exports exactly the cmdlets its manifest names' {
        Compare-Object $manifest.CmdletsToExport $commands.Name | Should -BeNullOrEmpty
    }

    It 'declares an OutputType on every cmdlet' {
        foreach ($command in $commands) {
            $command.OutputType | Should -Not -BeNullOrEmpty -Because "$($command.Name) needs [OutputType]"
        }
    }

    It 'has a default table view for every output type' {
        $types = $commands.OutputType.Type | Where-Object { $_ -ne [void] } | Sort-Object FullName -Unique
        $types | Should -Not -BeNullOrEmpty
        foreach ($type in $types) {
            Get-FormatData -TypeName $type.FullName | Should -Not -BeNullOrEmpty -Because "$($type.FullName) needs a view in PeerChat.Format.ps1xml"
        }
    }

    It 'uses approved verbs and the PeerChat noun prefix' {
        $approved = (Get-Verb).Verb
        foreach ($command in $commands) {
            $command.Verb | Should -BeIn $approved
            $command.Noun | Should -BeLike 'PeerChat*'
        }
    }

    It 'uses singular nouns' {
        foreach ($command in $commands) {
            $command.Noun | Should -Not -Match 's$' -Because "$($command.Name) should have a singular noun"
        }
    }

    It 'supports -WhatIf and -Confirm on every cmdlet that changes state' {
        $changing = 'Start-PeerChatServer', 'Stop-PeerChatServer', 'Register-PeerChatUser', 'Import-PeerChatUser', 'Copy-PeerChatStore', 'Send-PeerChatBroadcast', 'Send-PeerChatMessage', 'Disconnect-PeerChat'
        foreach ($name in $changing) {
            $binding = (Get-Command $name).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0]
            $binding.SupportsShouldProcess | Should -BeTrue -Because "$name changes state"
        }
        $send = (Get-Command Send-PeerChatMessage).ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $true)[0]
        $send.ConfirmImpact | Should -Be 'Low'
    }

    It 'has no plain-string password parameter' {
        foreach ($command in $commands) {
            foreach ($parameter in $command.Parameters.Values) {
                if ($parameter.Name -match 'Password') { $parameter.ParameterType | Should -Not -Be ([string]) }
            }
        }
    }
}

Describe 'The README''s import path, the repository root''s PeerChat.psd1' -Tag Integration {
    It 'gives full help, the about topic and the views, as the laid-out module does' {
        # In a child pwsh: this one has the laid-out module loaded already.
        $root = Join-Path $PSScriptRoot '../../PeerChat.psd1'
        $script = "Import-Module '$root'; " +
            "'modules: ' + @(Get-Module PeerChat).Count; " +
            "'base: ' + (Get-Command Connect-PeerChat).Module.ModuleBase; " +
            "'description: ' + ((Get-Help Connect-PeerChat).Description | Out-String).Trim().Length; " +
            "'examples: ' + @((Get-Help Connect-PeerChat).Examples.Example).Count; " +
            "'about: ' + (Get-Help about_PeerChat | Out-String).Length; " +
            "'views: ' + @(Get-FormatData -TypeName PeerChat.PowerShell.Objects.PeerChatSession).Count"
        $output = '' | & dotnet (Join-Path $PSHOME 'pwsh.dll') -NoProfile -NonInteractive -Command $script 2>&1 | Out-String

        $output | Should -Match 'modules: 1\b'
        $output | Should -Match 'base: .*out[/\\]PeerChat'
        [int]($output -replace '(?s).*description: (\d+).*', '$1') | Should -BeGreaterThan 100
        [int]($output -replace '(?s).*examples: (\d+).*', '$1') | Should -BeGreaterThan 0
        [int]($output -replace '(?s).*about: (\d+).*', '$1') | Should -BeGreaterThan 1000
        $output | Should -Match 'views: 1\b'
    }
}
