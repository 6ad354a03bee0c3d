# Direct messages across hosts: a server and two clients in network namespaces of their own,
# joined by a bridge, on TEST-NET-1 addresses that exist only inside these namespaces.
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1

    function Invoke-Ip {
        param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
        $output = & ip @Arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "ip $Arguments failed: $output" }
    }

    function Start-InNamespace {
        param([string] $Namespace, [string] $Script, [string[]] $Arguments)
        $start = [System.Diagnostics.ProcessStartInfo]::new('ip')
        foreach ($a in @('netns', 'exec', $Namespace, 'dotnet', (Join-Path $PSHOME 'pwsh.dll'), '-NoProfile', '-NonInteractive', '-File', $Script) + $Arguments) {
            $start.ArgumentList.Add($a)
        }
        $start.RedirectStandardInput = $true
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.UseShellExecute = $false
        [System.Diagnostics.Process]::Start($start)
    }

    function Read-Report {
        # The next line of a child's output that starts with $Prefix, within $Timeout: twice the
        # shared wait, as the first line comes only after the child pwsh has started.
        param([System.Diagnostics.Process] $Process, [string] $Prefix, [timespan] $Timeout = $TestTimeout * 2)
        $deadline = [datetime]::UtcNow + $Timeout
        while ($true) {
            $remaining = $deadline - [datetime]::UtcNow
            $read = $Process.StandardOutput.ReadLineAsync()
            if ($remaining -le [timespan]::Zero -or -not $read.Wait($remaining)) {
                throw "No '$Prefix' from $($Process.StartInfo.ArgumentList[2]) within $Timeout. Its errors: $($Process.StandardError.ReadToEnd())"
            }
            if ($null -eq $read.Result) { throw "$($Process.StartInfo.ArgumentList[2]) ended before '$Prefix'. Its errors: $($Process.StandardError.ReadToEnd())" }
            if ($read.Result.StartsWith($Prefix)) { return $read.Result.Substring($Prefix.Length).Trim() }
        }
    }

    $suffix = Get-Random -Minimum 1000 -Maximum 9999
    $namespaces = @{ Server = "pcs$suffix"; Sender = "pca$suffix"; Receiver = "pcb$suffix" }
    $addresses = @{ Server = '192.0.2.1'; Sender = '192.0.2.2'; Receiver = '192.0.2.3' }
    $script:skipReason = $null
    try {
        Invoke-Ip netns add $namespaces.Server
    }
    catch {
        $script:skipReason = Get-SkipReason "network namespaces are not permitted here ($($_.Exception.Message))"
    }

    if (-not $skipReason) {
        Invoke-Ip netns add $namespaces.Sender
        Invoke-Ip netns add $namespaces.Receiver
        Invoke-Ip -n $namespaces.Server link add br0 type bridge
        Invoke-Ip -n $namespaces.Server addr add "$($addresses.Server)/24" dev br0
        Invoke-Ip -n $namespaces.Server link set br0 up
        Invoke-Ip -n $namespaces.Server link set lo up
        foreach ($role in 'Sender', 'Receiver') {
            $ns = $namespaces[$role]
            $inner = "v$ns"; $outer = "v${ns}b"
            Invoke-Ip link add $inner type veth peer name $outer
            Invoke-Ip link set $inner netns $ns
            Invoke-Ip link set $outer netns $namespaces.Server
            Invoke-Ip -n $namespaces.Server link set $outer master br0
            Invoke-Ip -n $namespaces.Server link set $outer up
            Invoke-Ip -n $ns link set lo up
            Invoke-Ip -n $ns addr add "$($addresses[$role])/24" dev $inner
            Invoke-Ip -n $ns link set $inner up
        }
    }
}

AfterAll {
    foreach ($process in @($server, $receiver, $sender)) {
        if ($process -and -not $process.HasExited) { $process.Kill($true) }
    }
    foreach ($ns in $namespaces.Values) { & ip netns del $ns 2>$null }
}

Describe 'Direct messages across hosts' -Tag Integration {
    It 'reach the receiver directly, at the address the server saw it connect from' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        $module = $env:PEERCHAT_MODULE_PATH
        $script:server = Start-InNamespace $namespaces.Server "$PSScriptRoot/netns/Server.ps1" @($module, $addresses.Server, (Join-Path $TestDrive 'netns-users.csv'))
        $port = Read-Report $server 'READY'
        $script:receiver = Start-InNamespace $namespaces.Receiver "$PSScriptRoot/netns/Receiver.ps1" @($module, $addresses.Server, $port, 'bob')
        $receiverPort = Read-Report $receiver 'READY'

        $script:sender = Start-InNamespace $namespaces.Sender "$PSScriptRoot/netns/Sender.ps1" @($module, $addresses.Server, $port, 'alice', 'bob')
        $endpoint = Read-Report $sender 'ENDPOINT'
        $route = Read-Report $sender 'SENT'
        $message = Read-Report $receiver 'MESSAGE' | ConvertFrom-Json
        $server.StandardInput.WriteLine('stop')
        $counters = Read-Report $server 'RELAYED'

        $endpoint | Should -Be "$($addresses.Receiver):$receiverPort"
        $route | Should -Be 'Direct'
        $message.From | Should -Be 'alice'
        $message.Route | Should -Be 'Direct'
        $message.Text | Should -Be 'across namespaces'
        $counters | Should -Be '0 BROKERED 1'
    }
}

Describe 'Per-address limits over IPv6' -Tag Integration {
    It 'count two addresses of one /64 as one address, and an address of another /64 apart' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        $namespace = "pc6$suffix"
        $from = '2001:db8:0:1::a', '2001:db8:0:1::b', '2001:db8:0:2::a'
        Invoke-Ip netns add $namespace
        try {
            Invoke-Ip -n $namespace link set lo up
            foreach ($address in $from) { Invoke-Ip -n $namespace addr add "$address/64" dev lo nodad }
            $configuration = Join-Path $TestDrive 'one-pending-per-address.psd1'
            Set-Content $configuration '@{ MaxPendingPerAddress = 1 }'
            $process = Start-InNamespace $namespace "$PSScriptRoot/netns/SameSlash64.ps1" @($env:PEERCHAT_MODULE_PATH, (Join-Path $TestDrive 'slash64.csv'), $configuration, $from[2], ($from -join ','))
            $told = @(foreach ($address in $from) { Read-Report $process "FROM $address" })
        }
        finally {
            if ($process -and -not $process.HasExited) { $process.Kill($true) }
            & ip netns del $namespace 2>$null
        }

        # The first takes the /64's one place; its neighbour is turned away; the other /64 gets in.
        $told[0] | Should -Be 'hello'
        $told[1] | Should -Be 'error too_many_connections'
        $told[2] | Should -Be 'hello'
    }
}
