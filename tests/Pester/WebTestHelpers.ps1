# Dot-sourced by WebPage.Tests.ps1 after TestHelpers.ps1: tests/web/page-driver.mjs (Node with npm
# playwright-core, driving Debian's chromium) run as a child process, spoken to in JSON lines.

$script:WebDriverScript = Join-Path $PSScriptRoot '../web/page-driver.mjs'
$script:WebNodeModules = Join-Path $PSScriptRoot '../web/node_modules/playwright-core'

function Get-MissingWebTool {
    # What the browser test lacks, as the reason to skip it: '' when nothing is missing. Under CI
    # (.ci/run installs chromium and runs `npm ci` in tests/web) a missing tool fails the test instead.
    $missing = @(
        if (-not (Test-Path /usr/bin/chromium)) { 'the Debian package chromium' }
        if (-not (Get-Command node -ErrorAction SilentlyContinue)) { 'node' }
        if (-not (Test-Path $script:WebNodeModules)) { 'playwright-core (`npm ci` in tests/web)' }
    )
    if (-not $missing) { return '' }
    $reason = "$($missing -join ', ') not installed (.ci/run installs them)"
    if ($env:CI) { throw "Under CI the web page test needs its tools: $reason." }
    $reason
}

function Start-WebDriver {
    # The driver with chromium started, once it says it is ready.
    $start = [Diagnostics.ProcessStartInfo]::new('node')
    $start.ArgumentList.Add($script:WebDriverScript)
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($start)
    $driver = [pscustomobject]@{
        Process = $process
        NextId  = 1
        Stderr  = $process.StandardError.ReadToEndAsync()
    }
    $ready = Read-WebDriverLine $driver -Because 'chromium started'
    if (-not $ready.ready) { throw "The web driver did not start: $($ready | ConvertTo-Json -Compress)" }
    $driver
}

function Read-WebDriverLine {
    param([Parameter(Mandatory)] $Driver, [Parameter(Mandatory)] [string] $Because)
    # A step's own waits are bounded at 20 s each in the driver; a step has a few of them at most.
    $timeout = $script:TestTimeout + $script:TestTimeout
    $reading = $Driver.Process.StandardOutput.ReadLineAsync()
    if (-not $reading.Wait($timeout)) {
        throw "The web driver said nothing for $timeout while waiting until $Because."
    }
    if ($null -eq $reading.Result) {
        $stderr = if ($Driver.Stderr.Wait(5000)) { $Driver.Stderr.Result } else { '' }
        throw "The web driver ended while waiting until $Because. stderr: $stderr"
    }
    $reading.Result | ConvertFrom-Json
}

function Invoke-WebStep {
    # Runs one step of page-driver.mjs (a key of its `steps`) and returns its result; a failed step throws.
    param([Parameter(Mandatory)] $Driver, [Parameter(Mandatory)] [string] $Step, [hashtable] $Arguments = @{})
    $request = @{ id = $Driver.NextId++; step = $Step } + $Arguments
    $Driver.Process.StandardInput.WriteLine(($request | ConvertTo-Json -Compress))
    $Driver.Process.StandardInput.Flush()
    $answer = Read-WebDriverLine $Driver -Because "step $Step $($Arguments | ConvertTo-Json -Compress) was done"
    if ($answer.id -ne $request.id) { throw "The web driver answered request $($answer.id), not $($request.id)." }
    if (-not $answer.ok) { throw "Web step $Step $($Arguments | ConvertTo-Json -Compress) failed: $($answer.error)" }
    $answer.result
}

function Stop-WebDriver {
    # Closing stdin makes the driver close chromium and end; it is killed if it has not in 10 s.
    param($Driver)
    if (-not $Driver) { return }
    if (-not $Driver.Process.HasExited) {
        try { $Driver.Process.StandardInput.Close() } catch { $null = $_ }
        if (-not $Driver.Process.WaitForExit(10000)) { $Driver.Process.Kill($true) }
    }
    $Driver.Process.Dispose()
}
