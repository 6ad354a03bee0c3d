<#
.SYNOPSIS
    Writes the module's MAML help from docs/cmdlets/*.md and the cmdlets' own metadata.

.DESCRIPTION
    platyPS is not available, so this does its one job here: the text (synopsis, description,
    parameter descriptions, examples, inputs, outputs, notes) comes from the Markdown, and the
    syntax, parameter types, positions, pipeline input and aliases come from the built cmdlets, so
    the help cannot drift from the code. A cmdlet without a Markdown file, or a parameter without a
    description, stops the build. Runs in a child pwsh (build.ps1), which may load the module.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $MarkdownPath,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}

function Read-HelpMarkdown {
    # Splits a cmdlet's Markdown into its ## sections and their ### subsections.
    param([string] $Path)
    $sections = [ordered]@{}
    $section = $null; $sub = $null
    $inFence = $false
    foreach ($line in Get-Content $Path) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line -match '^## (.+)$') {
            $section = [ordered]@{ Text = [System.Collections.Generic.List[string]]::new(); Items = [ordered]@{} }
            $sections[$Matches[1].Trim()] = $section; $sub = $null; continue
        }
        if (-not $inFence -and $null -ne $section -and $line -match '^### (.+)$') {
            $sub = [System.Collections.Generic.List[string]]::new()
            $section.Items[$Matches[1].Trim()] = $sub; continue
        }
        if ($null -ne $sub) { $sub.Add($line) } elseif ($null -ne $section) { $section.Text.Add($line) }
    }
    $sections
}

function Split-Paragraphs {
    param([string[]] $Lines)
    (($Lines -join "`n").Trim() -split "\n\s*\n") | ForEach-Object { ($_ -replace '\s*\n\s*', ' ').Trim() } | Where-Object { $_ }
}

function Add-Element {
    param([System.Xml.XmlNode] $Parent, [string] $Name, [string] $Text)
    $prefix, $local = $Name -split ':'
    $element = $Parent.OwnerDocument.CreateElement($prefix, $local, $ns[$prefix])
    if ($PSBoundParameters.ContainsKey('Text')) { $element.InnerText = $Text }
    $null = $Parent.AppendChild($element)
    $element
}

function Add-Description {
    param([System.Xml.XmlNode] $Parent, [string[]] $Paragraphs, [string] $Name = 'maml:description')
    $description = Add-Element $Parent $Name
    foreach ($p in $Paragraphs) { $null = Add-Element $description 'maml:para' $p }
}

function Get-TypeName([type] $Type) {
    if ($Type -eq [System.Management.Automation.SwitchParameter]) { return 'SwitchParameter' }
    $Type.Name
}

function Get-PipelineInput($Parameter) {
    $kinds = @()
    foreach ($set in $Parameter.ParameterSets.Values) {
        if ($set.ValueFromPipeline) { $kinds += 'ByValue' }
        if ($set.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    }
    $kinds = $kinds | Sort-Object -Unique
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

function Add-Parameter {
    param([System.Xml.XmlNode] $Parent, $Parameter, $SetData, [string[]] $Description)
    $element = Add-Element $Parent 'command:parameter'
    $position = if ($SetData.Position -ge 0) { [string]$SetData.Position } else { 'named' }
    $globbing = [bool]($Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
    $element.SetAttribute('required', ([string]$SetData.IsMandatory).ToLowerInvariant())
    $element.SetAttribute('variableLength', 'true')
    $element.SetAttribute('globbing', ([string]$globbing).ToLowerInvariant())
    $element.SetAttribute('pipelineInput', (Get-PipelineInput $Parameter))
    $element.SetAttribute('position', $position)
    $element.SetAttribute('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $null = Add-Element $element 'maml:name' $Parameter.Name
    Add-Description $element $Description
    $typeName = Get-TypeName $Parameter.ParameterType
    if ($typeName -ne 'SwitchParameter') {
        $value = Add-Element $element 'command:parameterValue' $typeName
        $value.SetAttribute('required', 'true'); $value.SetAttribute('variableLength', 'false')
    }
    $type = Add-Element $element 'dev:type'
    $null = Add-Element $type 'maml:name' $Parameter.ParameterType.FullName
    $null = Add-Element $element 'dev:defaultValue' 'None'
}

Import-Module $ModulePath
$moduleName = [System.IO.Path]::GetFileNameWithoutExtension($ModulePath)
$commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

$document = [System.Xml.XmlDocument]::new()
$null = $document.AppendChild($document.CreateXmlDeclaration('1.0', 'utf-8', $null))
$root = $document.CreateElement('helpItems', 'http://msh')
$root.SetAttribute('schema', 'maml')
$null = $document.AppendChild($root)
$problems = [System.Collections.Generic.List[string]]::new()

foreach ($command in Get-Command -Module $moduleName -CommandType Cmdlet | Sort-Object Name) {
    $file = Join-Path $MarkdownPath "$($command.Name).md"
    if (-not (Test-Path $file)) { $problems.Add("$($command.Name): no $file"); continue }
    $help = Read-HelpMarkdown $file
    foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS') {
        if (-not $help.Contains($required)) { $problems.Add("$($command.Name): no ## $required section") }
    }
    if ($problems.Count) { continue }

    $element = $document.CreateElement('command', 'command', $ns.command)
    foreach ($prefix in 'maml', 'command', 'dev') { $element.SetAttribute("xmlns:$prefix", $ns[$prefix]) }
    $null = $root.AppendChild($element)

    $details = Add-Element $element 'command:details'
    $null = Add-Element $details 'command:name' $command.Name
    $null = Add-Element $details 'command:verb' $command.Verb
    $null = Add-Element $details 'command:noun' $command.Noun
    Add-Description $details (Split-Paragraphs $help.SYNOPSIS.Text)
    Add-Description $element (Split-Paragraphs $help.DESCRIPTION.Text)

    $parameterText = @{}
    foreach ($name in $help.PARAMETERS.Items.Keys) { $parameterText[$name.TrimStart('-')] = @(Split-Paragraphs $help.PARAMETERS.Items[$name]) }
    $documented = $command.Parameters.Values | Where-Object { $_.Name -notin $commonParameters }
    foreach ($parameter in $documented) {
        if (-not $parameterText.ContainsKey($parameter.Name) -or -not $parameterText[$parameter.Name]) {
            $problems.Add("$($command.Name): -$($parameter.Name) is not described")
        }
    }
    foreach ($name in $parameterText.Keys) {
        if (-not $command.Parameters.ContainsKey($name)) { $problems.Add("$($command.Name): the help describes -$name, which the cmdlet does not have") }
    }

    $syntax = Add-Element $element 'command:syntax'
    foreach ($set in $command.ParameterSets) {
        $item = Add-Element $syntax 'command:syntaxItem'
        $null = Add-Element $item 'maml:name' $command.Name
        foreach ($setParameter in $set.Parameters | Where-Object { $_.Name -notin $commonParameters }) {
            Add-Parameter $item $command.Parameters[$setParameter.Name] $setParameter @($parameterText[$setParameter.Name])
        }
    }

    $parameters = Add-Element $element 'command:parameters'
    foreach ($parameter in $documented) {
        $first = $command.ParameterSets.Parameters | Where-Object Name -EQ $parameter.Name | Select-Object -First 1
        Add-Parameter $parameters $parameter $first @($parameterText[$parameter.Name])
    }

    foreach ($kind in @(@{ Section = 'INPUTS'; List = 'command:inputTypes'; Item = 'command:inputType' }, @{ Section = 'OUTPUTS'; List = 'command:returnValues'; Item = 'command:returnValue' })) {
        $list = Add-Element $element $kind.List
        foreach ($typeName in $help[$kind.Section].Items.Keys) {
            $entry = Add-Element $list $kind.Item
            $type = Add-Element $entry 'dev:type'
            $null = Add-Element $type 'maml:name' $typeName
            Add-Description $entry (Split-Paragraphs $help[$kind.Section].Items[$typeName])
        }
    }

    if ($help.Contains('NOTES')) {
        $alerts = Add-Element $element 'maml:alertSet'
        $alert = Add-Element $alerts 'maml:alert'
        foreach ($p in Split-Paragraphs $help.NOTES.Text) { $null = Add-Element $alert 'maml:para' $p }
    }

    $examples = Add-Element $element 'command:examples'
    foreach ($title in $help.EXAMPLES.Items.Keys) {
        $lines = $help.EXAMPLES.Items[$title]
        $fenceStart = $lines.FindIndex({ param($l) $l -match '^```' })
        $fenceEnd = if ($fenceStart -ge 0) { $lines.FindIndex($fenceStart + 1, { param($l) $l -match '^```' }) } else { -1 }
        if ($fenceStart -lt 0 -or $fenceEnd -lt 0) { $problems.Add("$($command.Name): example '$title' has no code block"); continue }
        $example = Add-Element $examples 'command:example'
        $null = Add-Element $example 'maml:title' "-------------------------- $title --------------------------"
        $null = Add-Element $example 'dev:code' (($lines[($fenceStart + 1)..($fenceEnd - 1)]) -join "`n")
        $remarks = @(Split-Paragraphs $lines.GetRange($fenceEnd + 1, $lines.Count - $fenceEnd - 1))
        if (-not $remarks) { $problems.Add("$($command.Name): example '$title' has no remarks") }
        Add-Description $example $remarks 'dev:remarks'
    }

    if ($help.Contains('RELATED LINKS')) {
        $links = Add-Element $element 'command:relatedLinks'
        foreach ($line in $help['RELATED LINKS'].Text | Where-Object { $_ -match '^\s*-\s*(.+)$' }) {
            $link = Add-Element $links 'maml:navigationLink'
            $null = Add-Element $link 'maml:linkText' ($line -replace '^\s*-\s*', '').Trim()
        }
    }
}

if ($problems.Count) {
    throw "The cmdlet help is incomplete:`n  " + ($problems -join "`n  ")
}

New-Item -ItemType Directory -Force (Split-Path $OutputPath) | Out-Null
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$writer = [System.Xml.XmlWriter]::Create($OutputPath, $settings)
try { $document.Save($writer) } finally { $writer.Dispose() }
