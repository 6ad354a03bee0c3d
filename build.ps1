<#
.SYNOPSIS
    The one entry point of the PeerChat build: build, test, serve.

.DESCRIPTION
    Build   compiles the solution and lays out the module in out/PeerChat.
    Test    builds, runs the xunit suite and the Pester suite (in a child pwsh, so this shell never
            loads the module), and prints the combined closing line "Tests: N passed, N failed".
    Serve   builds, then runs a PeerChat server in the foreground (port 4400, the default user
            store ~/.peerchat/users.csv) until Ctrl+C.

    Run it through the pinned PowerShell: dotnet tool restore && dotnet pwsh ./build.ps1 Test

.PARAMETER Task
    Build, Test or Serve.

.PARAMETER Configuration
    Release (default) or Debug.

.PARAMETER Port
    Serve: the port to listen on.

.EXAMPLE
    dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Serve')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    [int] $Port = 4400
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$repo = $PSScriptRoot
$outDir = Join-Path $repo 'out'
$moduleOut = Join-Path $outDir 'PeerChat'
$testResults = Join-Path $outDir 'TestResults'

function Invoke-Native {
    # Runs a native command and stops the build when it fails, naming what failed.
    param([string] $What, [scriptblock] $Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Get-ModuleVersion {
    # One version source: ModuleVersion in PeerChat.psd1, passed to dotnet as -p:Version.
    (Import-PowerShellDataFile (Join-Path $repo 'PeerChat.psd1')).ModuleVersion
}

function Invoke-Build {
    $version = Get-ModuleVersion
    Invoke-Native 'dotnet build' { dotnet build (Join-Path $repo 'PeerChat.sln') -c $Configuration -p:Version=$version --nologo -v:q -clp:NoSummary }
}

function Invoke-CoreTests {
    # xunit: counts come from the TRX file, so the closing line adds up what really ran.
    $trx = Join-Path $testResults 'core.trx'
    Remove-Item $trx -ErrorAction Ignore
    dotnet test (Join-Path $repo 'tests/PeerChat.Core.Tests') -c $Configuration --no-build --nologo `
        --logger "trx;LogFileName=$trx" --logger 'console;verbosity=normal' | Out-Host
    if (-not (Test-Path $trx)) { throw "xunit wrote no results ($trx): the test run did not start." }
    $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
    [pscustomobject]@{ Suite = 'xunit'; Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted }
}

function Invoke-Test {
    New-Item -ItemType Directory -Force $testResults | Out-Null
    $results = @(Invoke-CoreTests)
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    foreach ($r in $results) { Write-Host ("{0}: {1} passed, {2} failed" -f $r.Suite, $r.Passed, $r.Failed) }
    Write-Host ("Tests: {0} passed, {1} failed" -f $passed, $failed)
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Serve {
    # Until the cmdlets exist the server is hosted from PeerChat.Core directly.
    $core = Join-Path $repo "src/PeerChat.Core/bin/$Configuration/net10.0/PeerChat.Core.dll"
    Add-Type -Path $core
    $storePath = [PeerChat.Core.Accounts.CsvUserStore]::DefaultPath
    $store = [PeerChat.Core.Accounts.CsvUserStore]::Open($storePath)
    $options = [PeerChat.Core.ChatServerOptions]@{ Port = $Port }
    $server = [PeerChat.Core.Server.ChatServer]::new($options, $store)
    $server.Start()
    Write-Host "PeerChat listening on port $($server.Port), users in $storePath. Ctrl+C stops it."
    try {
        # Wait in short slices so that Ctrl+C is seen between them.
        while (-not $server.Completion.Wait(500)) { }
    }
    finally {
        $server.StopAsync().GetAwaiter().GetResult()
        Write-Host 'PeerChat stopped.'
    }
}

Push-Location $repo
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Build; Invoke-Test }
        'Serve' { Invoke-Build; Invoke-Serve }
    }
}
finally {
    Pop-Location
}
