<#
.SYNOPSIS
    Runs the Pester suite against a laid-out module; called by build.ps1 Test in a child pwsh.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $ModulePath,
    # The package Package.Tests.ps1 installs; not needed with -Tag Unit.
    [string] $PackagePath,
    [Parameter(Mandatory)] [string] $SummaryPath,
    # Only the blocks with this tag (build.ps1 Test -Tag Unit).
    [string] $Tag
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
# The test files import the module from here.
$env:PEERCHAT_MODULE_PATH = $ModulePath
$env:PEERCHAT_PACKAGE_PATH = $PackagePath

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
if ($Tag) { $configuration.Filter.Tag = $Tag }
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration

# Named again for build.ps1's closing lines: a CI excerpt keeps only the end of the log.
$failures = @($result.Failed | ForEach-Object {
    $message = ($_.ErrorRecord | Select-Object -First 1 | ForEach-Object { $_.ToString() -split "`n" | Select-Object -First 6 }) -join "`n    "
    "{0} ({1:n1} s):`n    {2}" -f $_.ExpandedPath, $_.Duration.TotalSeconds, $message
})
$failures += @($result.FailedBlocks + $result.FailedContainers | ForEach-Object { "{0}: failed before its tests ran" -f ($_.ExpandedPath ?? $_.Item ?? $_.Name) })
@{ Passed = $result.PassedCount; Failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount; Failures = $failures } |
    ConvertTo-Json | Set-Content $SummaryPath
