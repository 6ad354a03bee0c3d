# Every exported cmdlet has full help (generated into MAML from docs/cmdlets by build.ps1), and the
# module has an about_PeerChat topic.
BeforeDiscovery {
    $manifestPath = if ($env:PEERCHAT_MODULE_PATH) { $env:PEERCHAT_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/PeerChat/PeerChat.psd1' }
    $cmdletNames = (Import-PowerShellDataFile $manifestPath).CmdletsToExport
}

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'Help of <_>' -Tag Unit -ForEach $cmdletNames {
    BeforeAll {
        $name = $_
        $help = Get-Help $name -Full
        $command = Get-Command $name
    }

    It 'has a written synopsis, not one made from the syntax' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "$name *"
    }

    It 'has a description' {
        ($help.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $commonParameters }) {
            $entry = $help.parameters.parameter | Where-Object name -EQ $parameter
            ($entry.description.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty -Because "-$parameter of $name needs a description"
        }
    }

    It 'has at least two examples with code and remarks, one of them a pipeline' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty
            ($example.remarks.Text -join ' ').Trim() | Should -Not -BeNullOrEmpty
        }
        @($examples | Where-Object { $_.code -match '\|' }).Count | Should -BeGreaterOrEqual 1
    }

    It 'names its inputs and outputs' {
        $help.inputTypes.inputType.type.name | Should -Not -BeNullOrEmpty
        $help.returnValues.returnValue.type.name | Should -Not -BeNullOrEmpty
    }
}

Describe 'about_PeerChat' -Tag Unit {
    It 'is a help topic with the concepts, the server job, events and security' {
        $about = (Get-Help about_PeerChat | Out-String) -replace '\s+', ' '

        $about | Should -Match 'about_PeerChat'
        $about | Should -Match 'Inactive for too long, terminating connection'
        $about | Should -Match 'PeerChat.MessageReceived'
        $about | Should -Match 'Receive-Job'
        $about | Should -Match 'PBKDF2'
    }
}
