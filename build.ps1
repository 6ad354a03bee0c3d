<#
.SYNOPSIS
    The one entry point of the PeerChat build: build, test, serve.

.DESCRIPTION
    Build   compiles the solution (the module, the tests, the fuzz harness and the benchmark) and
            lays out the module in out/PeerChat.
    Test    builds, runs the two xunit suites and the Pester suite, and prints the closing line
            "Tests: N passed, N failed". -Tag Unit is the fast inner loop (see -Tag).
    Package builds, then makes out/packages/PeerChat.<version>.nupkg with Compress-PSResource.
    Fuzz    instruments PeerChat.Core with SharpFuzz and fuzzes each target under AFL++ for -Seconds;
            findings land in out/fuzz/findings/<target>. Needs afl-fuzz (-Bootstrap installs it).
    Bench   runs bench/PeerChat.Bench against PeerChat and nats-server side by side; the table goes
            to out/bench/results.md. Needs nats-server (-Bootstrap installs it). -BenchArguments
            --peers (or --peers-only, --irc-only) adds ngIRCd, InspIRCd and Mosquitto, which
            -Bootstrap installs too; the idle table has InspIRCd and Mosquitto rows whenever they
            are installed. --web-only: fan-out over WebSocket against plain peerchat/1, and a
            slowloris on the web port.
    Serve   builds, then runs a server through Start-PeerChatServer in the foreground (port 4400,
            the user store ~/.peerchat/users.csv, or the settings of -ServerConfiguration) until Ctrl+C.
    Clean   removes out/ and the bin and obj folders of the solution's projects.

    Fuzz and Bench are not run by Test or CI; Build compiles both, so they cannot rot.
    Everything from NuGet is restored as needed. Debian packages are installed only with -Bootstrap
    (through apt-get, as root): iproute2, tmux, python3-irc, irssi and weechat-curses for Test
    (without them the network-namespace, terminal and IRC client tests are skipped, or fail under
    CI), afl++ for Fuzz, nats-server (and ngircd, inspircd, mosquitto) for Bench.

    Run it through the pinned PowerShell: dotnet tool restore && dotnet pwsh ./build.ps1 Test

.PARAMETER Task
    Build (default), Test, Package, Fuzz, Bench, Serve or Clean.

.PARAMETER Configuration
    Release (default) or Debug.

.PARAMETER Tag
    Test: Unit runs only the tests that start no server and no process: the xunit classes marked
    [Trait("Category", "Unit")] and the Pester blocks tagged Unit; no package is made. Seconds,
    not minutes: the inner loop while editing. Without -Tag, every test runs.

.PARAMETER Bootstrap
    Installs the Debian packages the task uses (listed above) with apt-get before running it.
    Without it a missing required tool stops the task with its name and this switch.

.PARAMETER Port
    Serve: the port to listen on.

.EXAMPLE
    dotnet pwsh ./build.ps1 Test -Tag Unit

.EXAMPLE
    dotnet pwsh ./build.ps1 Test

.EXAMPLE
    dotnet pwsh ./build.ps1 Fuzz -Bootstrap -Seconds 60 -Target frames
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Serve', 'Package', 'Fuzz', 'Bench', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    [int] $Port = 4400,

    # Fuzz: how long each target runs under AFL++.
    [int] $Seconds = 300,

    # Fuzz: which targets (frames, userstore, client, irc, http); all by default.
    [ValidateSet('frames', 'userstore', 'client', 'irc', 'http')]
    [string[]] $Target = @('frames', 'userstore', 'client', 'irc', 'http'),

    # Serve: a settings file for Start-PeerChatServer -Configuration (New-PeerChatServerConfiguration writes one).
    [string] $ServerConfiguration,

    # Bench: passed on to the benchmark, e.g. --quick.
    [string[]] $BenchArguments = @(),

    [ValidateSet('Unit')]
    [string] $Tag,

    [switch] $Bootstrap
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$repo = $PSScriptRoot
# Serve: -Port applies when given, or when no -ServerConfiguration says otherwise.
$portGiven = $PSBoundParameters.ContainsKey('Port')
$outDir = Join-Path $repo 'out'
$moduleOut = Join-Path $outDir 'PeerChat'
$testResults = Join-Path $outDir 'TestResults'

function Invoke-Native {
    # Runs a native command and stops the build when it fails, naming what failed.
    param([string] $What, [scriptblock] $Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Assert-DebianTool {
    # Debian packages are installed only when asked (-Bootstrap): a build never changes the machine
    # behind its user's back. A missing required tool stops the task; an optional one only warns.
    param([string] $Command, [string] $Package, [string] $NeededFor, [switch] $Optional)
    # A command, or the path of a file the package installs (a library has no command).
    if ((Get-Command $Command -ErrorAction SilentlyContinue) -or ($Command.StartsWith('/') -and (Test-Path $Command))) { return }
    if ($Bootstrap) {
        Write-Host "Bootstrap: installing the Debian package $Package (for $Command) with apt-get."
        Invoke-Native "apt-get install $Package" { apt-get update -qq; apt-get install -y -qq $Package }
        return
    }
    $advice = "install the Debian package $Package, or run build.ps1 $Task -Bootstrap to have apt-get install it"
    if ($Optional) { Write-Warning "$Command is not installed, so $NeededFor will be skipped: $advice." }
    else { throw "$Task needs $Command ($NeededFor), which is not installed: $advice." }
}

function Assert-TaskTools {
    # Every Debian package a task uses, checked before anything is built.
    switch ($Task) {
        'Test' {
            Assert-DebianTool -Command ip -Package iproute2 -NeededFor 'the network-namespace tests of direct messages' -Optional
            Assert-DebianTool -Command tmux -Package tmux -NeededFor 'the terminal tests of Enter-PeerChat' -Optional
            Assert-DebianTool -Command /usr/lib/python3/dist-packages/irc/client.py -Package python3-irc -NeededFor 'the IRC tests with a Python client' -Optional
            Assert-DebianTool -Command irssi -Package irssi -NeededFor 'the IRC tests with irssi' -Optional
            Assert-DebianTool -Command weechat -Package weechat-curses -NeededFor 'the IRC tests with WeeChat' -Optional
        }
        'Fuzz' { Assert-DebianTool -Command afl-fuzz -Package afl++ -NeededFor 'the fuzzer' }
        'Bench' {
            Assert-DebianTool -Command nats-server -Package nats-server -NeededFor 'the NATS side of the comparison'
            # The IRC and MQTT peers run only when asked for; -Bootstrap installs them all the same.
            $peersAsked = [bool]($BenchArguments | Where-Object { $_ -in '--peers', '--peers-only', '--irc-only' })
            $peers = 'the IRC and MQTT peers (--peers, --peers-only, --irc-only)'
            Assert-DebianTool -Command ngircd -Package ngircd -NeededFor $peers -Optional:(-not $peersAsked)
            Assert-DebianTool -Command inspircd -Package inspircd -NeededFor $peers -Optional:(-not $peersAsked)
            Assert-DebianTool -Command mosquitto -Package mosquitto -NeededFor $peers -Optional:(-not $peersAsked)
            # The cluster workload (--cluster-only) starts a redis-server of its own.
            Assert-DebianTool -Command redis-server -Package redis-server -NeededFor 'the cluster workload (--cluster-only)' -Optional:($BenchArguments -notcontains '--cluster-only')
        }
    }
}

function Get-ModuleVersion {
    # One version source: ModuleVersion in PeerChat.psd1, passed to dotnet as -p:Version.
    (Import-PowerShellDataFile (Join-Path $repo 'PeerChat.psd1')).ModuleVersion
}

function Invoke-SolutionBuild {
    # Not Invoke-Build: that is the InvokeBuild module's command.
    $version = Get-ModuleVersion
    Invoke-Native 'dotnet build' { dotnet build (Join-Path $repo 'PeerChat.sln') -c $Configuration -p:Version=$version --nologo -v:q }
    Invoke-LayoutModule
}

function Invoke-LayoutModule {
    # Lay out exactly the shipped files in out/PeerChat; the tests import that folder.
    if (Test-Path $moduleOut) { Remove-Item -Recurse -Force $moduleOut }
    New-Item -ItemType Directory -Force $moduleOut | Out-Null
    $bin = Join-Path $repo "src/PeerChat.PowerShell/bin/$Configuration/net10.0"
    foreach ($file in 'PeerChat.PowerShell.dll', 'PeerChat.PowerShell.pdb', 'PeerChat.Core.dll', 'PeerChat.Core.pdb', 'PeerChat.Core.xml') {
        Copy-Item (Join-Path $bin $file) $moduleOut
    }
    # The nested module that loads this platform's compiled PeerChat.Core (Invoke-LayoutReadyToRun).
    Copy-Item (Join-Path $repo "src/PeerChat.ReadyToRun/bin/$Configuration/net10.0/PeerChat.ReadyToRun.dll") $moduleOut
    Copy-Item (Join-Path $repo 'module/*') $moduleOut -Recurse
    Invoke-LayoutDependencies
    Invoke-LayoutReadyToRun
    # The root manifest loads out/PeerChat/PeerChat.psd1; the shipped copy loads the DLL and the formats.
    $manifest = Get-Content -Raw (Join-Path $repo 'PeerChat.psd1')
    # The nested module loads the PeerChat.Core compiled for this platform (Invoke-LayoutReadyToRun).
    $shipped = $manifest.Replace("RootModule           = 'out/PeerChat/PeerChat.psd1'", "RootModule           = 'PeerChat.PowerShell.dll'").
        Replace('FormatsToProcess     = @()', "FormatsToProcess     = @('PeerChat.Format.ps1xml')`n    NestedModules        = @('PeerChat.ReadyToRun.dll')")
    if ($shipped -notmatch "RootModule\s+= 'PeerChat.PowerShell.dll'" -or $shipped -notmatch 'PeerChat.Format.ps1xml' -or $shipped -notmatch 'PeerChat.ReadyToRun.dll') {
        throw 'PeerChat.psd1 no longer has the RootModule and FormatsToProcess lines the layout rewrites; update Invoke-LayoutModule.'
    }
    Set-Content -NoNewline -Path (Join-Path $moduleOut 'PeerChat.psd1') -Value $shipped
    # MAML help from docs/cmdlets and the cmdlets' metadata, in a child pwsh that may load the module.
    Invoke-Native 'help generation' {
        dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $repo 'build/New-MamlHelp.ps1') -ModulePath (Join-Path $moduleOut 'PeerChat.psd1') `
            -MarkdownPath (Join-Path $repo 'docs/cmdlets') -OutputPath (Join-Path $moduleOut 'en-US/PeerChat.PowerShell.dll-Help.xml')
    }
}

function Invoke-LayoutDependencies {
    # The message store and its SQLite go to dependencies/, where only the module's own load context
    # looks (src/PeerChat.PowerShell/Internal/ModuleDependencies.cs), so that another module's SQLite
    # in the same pwsh cannot clash with them. The native e_sqlite3 only for the platforms shipped.
    $publish = Join-Path $outDir "obj/store-$Configuration"
    if (Test-Path $publish) { Remove-Item -Recurse -Force $publish }
    Invoke-Native 'dotnet publish of the message store' {
        dotnet publish (Join-Path $repo 'src/PeerChat.Store.Sqlite') -c $Configuration --no-build -o $publish --nologo -v:q
    }
    $dependencies = Join-Path $moduleOut 'dependencies'
    New-Item -ItemType Directory -Force $dependencies | Out-Null
    # PeerChat.Core is not among them: the store shares the one copy in the module's root.
    $managed = Get-ChildItem $publish -Filter '*.dll' | Where-Object Name -NE 'PeerChat.Core.dll'
    foreach ($required in 'PeerChat.Store.Sqlite.dll', 'Microsoft.Data.Sqlite.dll', 'SQLitePCLRaw.core.dll') {
        if ($required -notin $managed.Name) { throw "The publish of the message store has no $required; update Invoke-LayoutDependencies." }
    }
    $managed | Copy-Item -Destination $dependencies
    Copy-Item (Join-Path $publish 'PeerChat.Store.Sqlite.pdb') $dependencies
    foreach ($runtime in 'linux-x64', 'linux-arm64', 'win-x64', 'osx-arm64') {
        $native = Join-Path $publish "runtimes/$runtime/native"
        if (-not (Get-ChildItem $native -Filter '*e_sqlite3*' -ErrorAction Ignore)) { throw "The publish of the message store has no e_sqlite3 for $runtime." }
        $target = Join-Path $dependencies "runtimes/$runtime/native"
        New-Item -ItemType Directory -Force $target | Out-Null
        Copy-Item (Join-Path $native '*') $target
    }
    Invoke-LayoutClusterDependencies $dependencies
}

function Invoke-LayoutClusterDependencies {
    # The Redis store (docs/CLUSTER.md) and StackExchange.Redis with its dependencies go to the same
    # dependencies/ folder and load in the same module context as the SQLite store, for the same reason.
    param([string] $Dependencies)
    $publish = Join-Path $outDir "obj/cluster-$Configuration"
    if (Test-Path $publish) { Remove-Item -Recurse -Force $publish }
    Invoke-Native 'dotnet publish of the Redis store' {
        dotnet publish (Join-Path $repo 'src/PeerChat.Cluster.Redis') -c $Configuration --no-build -o $publish --nologo -v:q
    }
    $managed = Get-ChildItem $publish -Filter '*.dll' | Where-Object Name -NE 'PeerChat.Core.dll'
    foreach ($required in 'PeerChat.Cluster.Redis.dll', 'StackExchange.Redis.dll', 'System.IO.Hashing.dll') {
        if ($required -notin $managed.Name) { throw "The publish of the Redis store has no $required; update Invoke-LayoutClusterDependencies." }
    }
    $managed | Copy-Item -Destination $Dependencies
    Copy-Item (Join-Path $publish 'PeerChat.Cluster.Redis.pdb') $Dependencies
}

function Invoke-LayoutReadyToRun {
    # PeerChat.Core and the message store compiled ahead of time (ReadyToRun), so that a fresh pwsh
    # or server does not wait for the JIT: one copy for each shipped platform, since compiled code
    # for one platform fails to load on another (BadImageFormatException, not a fall-back to the
    # JIT). They go beside the portable copies, in runtimes/<rid>/lib, and the module picks its
    # platform's at load: the nested module PeerChat.ReadyToRun.dll for PeerChat.Core, the module's load context
    # (ModuleDependencies.cs) for the store. PeerChat.PowerShell.dll stays portable: PowerShell
    # loads the root module before any code of the module runs, so nothing could pick a copy of it.
    $publish = Join-Path $outDir "obj/readytorun-$Configuration"
    foreach ($runtime in 'linux-x64', 'linux-arm64', 'win-x64', 'osx-arm64') {
        $compiled = Join-Path $publish $runtime
        if (Test-Path $compiled) { Remove-Item -Recurse -Force $compiled }
        Invoke-Native "ReadyToRun compilation for $runtime" {
            dotnet publish (Join-Path $repo 'build/ReadyToRun') -c $Configuration -p:RuntimeIdentifier=$runtime -p:ModuleLayout=$moduleOut -o $compiled --nologo -v:q
        }
        foreach ($assembly in @{ Name = 'PeerChat.Core'; To = $moduleOut }, @{ Name = 'PeerChat.Store.Sqlite'; To = (Join-Path $moduleOut 'dependencies') }) {
            $target = Join-Path $assembly.To "runtimes/$runtime/lib"
            New-Item -ItemType Directory -Force $target | Out-Null
            Copy-Item (Join-Path $compiled "$($assembly.Name).dll") $target
            # The portable copy's symbols and documentation fit the compiled one (the same IL), and are
            # looked for beside it: line numbers in stack traces, the comments of a settings file.
            Get-ChildItem $assembly.To -File | Where-Object Name -In "$($assembly.Name).pdb", "$($assembly.Name).xml" | Copy-Item -Destination $target
        }
    }
}

function Invoke-Package {
    # A .nupkg of exactly the laid-out module, for any PSResourceGet repository.
    $packages = Join-Path $outDir 'packages'
    if (Test-Path $packages) { Remove-Item -Recurse -Force $packages }
    New-Item -ItemType Directory -Force $packages | Out-Null
    Compress-PSResource -Path $moduleOut -DestinationPath $packages
    $package = Get-ChildItem $packages -Filter 'PeerChat.*.nupkg' | Select-Object -First 1
    if (-not $package) { throw "Compress-PSResource wrote no package into $packages." }
    Write-Host "Package: $($package.FullName)"
    $package.FullName
}

function Get-PesterPath {
    # Pester comes from NuGet (the PowerShell Gallery is not reachable): a PackageDownload restore.
    Invoke-Native 'restore of the test tools' { dotnet restore (Join-Path $repo 'build/tools/Tools.csproj') --nologo -v:q }
    $packages = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $pester = Join-Path $packages.Trim() 'pester/6.2.0/tools/Pester.psd1'
    if (-not (Test-Path $pester)) { throw "Pester 6.2.0 was restored, but $pester is missing." }
    $pester
}

function Invoke-XunitTests {
    # xunit: counts come from the TRX file, so the closing line adds up what really ran.
    param([string] $Project, [string] $Suite, [string] $Filter)
    $trx = Join-Path $testResults "$Project.trx"
    Remove-Item $trx -ErrorAction Ignore
    $filterArguments = if ($Filter) { '--filter', $Filter } else { @() }
    dotnet test (Join-Path $repo "tests/$Project") -c $Configuration --no-build --nologo @filterArguments `
        --logger "trx;LogFileName=$trx" --logger 'console;verbosity=normal' | Out-Host
    if (-not (Test-Path $trx)) { throw "xunit wrote no results ($trx): the test run did not start." }
    $run = ([xml](Get-Content -Raw $trx)).TestRun
    $counters = $run.ResultSummary.Counters
    # The console log scrolls far above the closing line; a CI excerpt keeps only the end, so the
    # failures are named again here, with the first lines of their messages.
    $failures = @($run.Results.UnitTestResult | Where-Object outcome -ne 'Passed' | Where-Object outcome -ne 'NotExecuted' | ForEach-Object {
        $message = ($_.Output.ErrorInfo.Message -split "`n" | Select-Object -First 6) -join "`n    "
        "{0} ({1}, {2}):`n    {3}" -f $_.testName, $_.outcome, $_.duration, $message
    })
    [pscustomobject]@{ Suite = $Suite; Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted; Failures = $failures }
}

function Invoke-PesterTests {
    param([string] $PackagePath, [string] $Tag)
    # In a child pwsh, so that this shell never loads the module it just built.
    $summary = Join-Path $testResults 'pester.json'
    Remove-Item $summary -ErrorAction Ignore
    $runner = Join-Path $repo 'tests/Pester/Run-Pester.ps1'
    $selection = if ($Tag) { '-Tag', $Tag } else { '-PackagePath', $PackagePath }
    dotnet pwsh -NoProfile -NonInteractive -File $runner -PesterPath (Get-PesterPath) -ModulePath (Join-Path $moduleOut 'PeerChat.psd1') `
        @selection -SummaryPath $summary | Out-Host
    if (-not (Test-Path $summary)) { return [pscustomobject]@{ Suite = 'Pester'; Passed = 0; Failed = 1 } }
    $counts = Get-Content -Raw $summary | ConvertFrom-Json
    [pscustomobject]@{ Suite = 'Pester'; Passed = [int]$counts.Passed; Failed = [int]$counts.Failed; Failures = @($counts.Failures) }
}

function Invoke-Test {
    New-Item -ItemType Directory -Force $testResults | Out-Null
    $results = if ($Tag -eq 'Unit') {
        # The inner loop: no server, no child process, no package.
        Invoke-XunitTests -Project 'PeerChat.Core.Tests' -Suite 'xunit (core, Unit)' -Filter 'Category=Unit'
        Invoke-PesterTests -Tag Unit
    }
    else {
        $package = Invoke-Package
        Invoke-XunitTests -Project 'PeerChat.Core.Tests' -Suite 'xunit (core)'
        Invoke-XunitTests -Project 'PeerChat.PowerShell.Tests' -Suite 'xunit (cmdlets in process)'
        Invoke-PesterTests -PackagePath $package
    }
    $results = @($results)
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    foreach ($r in $results) { foreach ($failure in $r.Failures) { Write-Host "FAILED $failure" } }
    foreach ($r in $results) { Write-Host ("{0}: {1} passed, {2} failed" -f $r.Suite, $r.Passed, $r.Failed) }
    Write-Host ("Tests: {0} passed, {1} failed" -f $passed, $failed)
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Fuzz {
    # AFL++ drives the SharpFuzz harness (fuzz/PeerChat.Fuzz) against an instrumented PeerChat.Core.
    $tools = Join-Path $outDir 'tools'
    if (-not (Test-Path (Join-Path $tools 'sharpfuzz'))) {
        Invoke-Native 'dotnet tool install SharpFuzz.CommandLine' { dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path $tools }
    }
    $bin = Join-Path $outDir 'fuzz/bin'
    # Fresh each time: sharpfuzz refuses to instrument an assembly twice.
    if (Test-Path $bin) { Remove-Item -Recurse -Force $bin }
    Invoke-Native 'dotnet publish of the fuzz harness' { dotnet publish (Join-Path $repo 'fuzz/PeerChat.Fuzz') -c Release -o $bin --nologo -v:q }
    Invoke-Native 'sharpfuzz instrumentation' { & (Join-Path $tools 'sharpfuzz') (Join-Path $bin 'PeerChat.Core.dll') }

    # AFL's checks meant for native targets do not fit a managed one started through dotnet.
    $env:AFL_SKIP_BIN_CHECK = '1'
    $env:AFL_SKIP_CPUFREQ = '1'
    $env:AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES = '1'
    $env:AFL_NO_UI = '1'
    # A second run of a target continues from its findings instead of starting over.
    $env:AFL_AUTORESUME = '1'
    foreach ($name in $Target) {
        $findings = Join-Path $outDir "fuzz/findings/$name"
        New-Item -ItemType Directory -Force $findings | Out-Null
        Write-Host "Fuzzing '$name' for $Seconds s; findings in $findings"
        # A dictionary of tokens AFL would take long to build byte by byte (JSON escapes such as a
        # lone surrogate, awkward numbers, the store's record format, IRC tags): fuzz/dictionaries.
        $dictionary = Join-Path $repo "fuzz/dictionaries/$(switch ($name) { 'userstore' { 'userstore' } 'irc' { 'irc' } 'http' { 'http' } default { 'json' } }).dict"
        afl-fuzz -V $Seconds -t 5000 -m none -x $dictionary -i (Join-Path $repo "fuzz/corpus/$name") -o $findings -- dotnet (Join-Path $bin 'PeerChat.Fuzz.dll') $name | Out-Null
        $stats = @{}
        foreach ($line in Get-Content (Join-Path $findings 'default/fuzzer_stats')) {
            $key, $value = $line -split '\s*:\s*', 2
            $stats[$key.Trim()] = "$value"
        }
        [pscustomobject]@{
            Target      = $name
            Execs       = $stats.execs_done.Trim()
            ExecsPerSec = $stats.execs_per_sec.Trim()
            Corpus      = $stats.corpus_count.Trim()
            Edges       = "$($stats.edges_found.Trim()) ($($stats.bitmap_cvg.Trim()))"
            Crashes     = $stats.saved_crashes.Trim()
            Hangs       = $stats.saved_hangs.Trim()
            RunSeconds  = $stats.run_time.Trim()
            # When the last new path turned up, in seconds since the start: far from the end is a plateau.
            LastFindAt  = [long]$stats.last_find - [long]$stats.start_time
        }
    }
}

function Invoke-Bench {
    Invoke-Native 'dotnet build of the benchmark' { dotnet build (Join-Path $repo 'bench/PeerChat.Bench') -c Release --nologo -v:q }
    # A cold start is measured with the module's assemblies as shipped: compiled ahead of time.
    # Typed: a lone argument would otherwise come out of the `if` as a string, which @ splats one character at a time.
    [string[]] $arguments = if ($BenchArguments -contains '--cold' -and $BenchArguments -notcontains '--module') { @($BenchArguments) + @('--module', $moduleOut) } else { $BenchArguments }
    Invoke-Native 'the benchmark' { dotnet (Join-Path $repo 'bench/PeerChat.Bench/bin/Release/net10.0/PeerChat.Bench.dll') all @arguments }

    # The PowerShell workload, in a child pwsh that loads the built module.
    $rows = dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $repo 'bench/PowerShell.Bench.ps1') -ModulePath (Join-Path $moduleOut 'PeerChat.psd1')
    if ($LASTEXITCODE -ne 0) { throw "The PowerShell benchmark failed: $rows" }
    $table = @('', '### From PowerShell', '', '| workload | result |', '|---|---:|') + $rows
    $table | Out-Host
    Add-Content (Join-Path $outDir 'bench/results.md') $table
}

function Invoke-Serve {
    Import-Module (Join-Path $moduleOut 'PeerChat.psd1')
    $settings = @{ ErrorAction = 'Stop' }
    if ($portGiven -or -not $ServerConfiguration) { $settings.Port = $Port }
    if ($ServerConfiguration) { $settings.Configuration = $ServerConfiguration }
    $job = Start-PeerChatServer @settings
    $messages = if ($job.MessageStorePath) { "messages in $($job.MessageStorePath)" } else { 'no message store' }
    Write-Host "PeerChat listening on port $($job.Port), users in $($job.UserStorePath), $messages. Ctrl+C stops it."
    try {
        # Streams the server's events until Ctrl+C.
        Receive-Job $job -Wait
    }
    finally {
        $job | Stop-PeerChatServer
        $job | Remove-Job
        Write-Host 'PeerChat stopped.'
    }
}

function Invoke-Clean {
    # Everything the build writes: out/ and each project's bin and obj (the solution lists them).
    $projects = dotnet sln (Join-Path $repo 'PeerChat.sln') list | Where-Object { $_ -like '*.csproj' }
    if ($LASTEXITCODE -ne 0 -or -not $projects) { throw 'dotnet sln list named no projects in PeerChat.sln.' }
    $folders = @($outDir, (Join-Path $repo 'build/ReadyToRun/bin'), (Join-Path $repo 'build/ReadyToRun/obj')) + @(foreach ($project in $projects) {
        $projectFolder = Split-Path (Join-Path $repo $project.Trim())
        Join-Path $projectFolder 'bin'
        Join-Path $projectFolder 'obj'
    })
    foreach ($folder in $folders | Where-Object { Test-Path $_ }) {
        Remove-Item -Recurse -Force $folder
        Write-Host "Removed $folder"
    }
}

Push-Location $repo
try {
    Assert-TaskTools
    switch ($Task) {
        'Build' { Invoke-SolutionBuild }
        'Test' { Invoke-SolutionBuild; Invoke-Test }
        'Serve' { Invoke-SolutionBuild; Invoke-Serve }
        'Package' { Invoke-SolutionBuild; $null = Invoke-Package }
        'Fuzz' { Invoke-Fuzz | Format-Table -AutoSize | Out-Host }
        'Bench' { Invoke-SolutionBuild; Invoke-Bench }
        'Clean' { Invoke-Clean }
    }
}
finally {
    Pop-Location
}
