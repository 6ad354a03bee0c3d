# The web page the server serves on -WebPort (src/PeerChat.Core/Web/page), in Debian's chromium
# driven by tests/web/page-driver.mjs: two browser users (alice, bob) and one PowerShell session
# (carol) chat in everyone, a room and privately. The Its share one server and one browser and run
# in order, each building on what the one before left (who is logged in, which conversation shows).
BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/WebTestHelpers.ps1

    $missing = Get-MissingWebTool
    if ($missing) { return }

    function Step {
        param([Parameter(Mandatory)] [string] $Step, [hashtable] $Arguments = @{})
        Invoke-WebStep -Driver $driver -Step $Step -Arguments $Arguments
    }

    function Receive-From {
        # The next message from -UserName in -Session's inbox, within $TestTimeout.
        param([Parameter(Mandatory)] $Session, [Parameter(Mandatory)] [string] $UserName)
        $message = Receive-PeerChatMessage -Session $Session -From $UserName -Wait -Timeout $TestTimeout
        if (-not $message) { throw "No message from $UserName reached $($Session.UserName) within $TestTimeout." }
        $message
    }

    $xss = '<script>window.pwned=1</script><img src=x onerror="window.pwned=1">'
    $script:server = Start-TestServer -Settings @{ WebPort = 0 }
    $script:driver = Start-WebDriver
    foreach ($name in 'alice', 'bob') {
        $null = Step open @{ name = $name; url = "http://127.0.0.1:$($server.WebPort)/" }
        $null = Step signup @{ name = $name; user = $name; password = $TestPassword }
    }
    $script:carol = Connect-TestUser -UserName carol -Port $server.Port
}

AfterAll {
    if ($driver) { Stop-WebDriver $driver }
    Remove-TestServers
}

Describe 'The web page' -Tag Integration {
    AfterEach {
        if ($carol) { $null = Receive-PeerChatMessage -Session $carol }
    }

    It 'chats in everyone between two browsers and a PowerShell session, in both directions' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $null = Step waitOnline @{ name = 'alice'; user = 'carol' }
        $null = Step send @{ name = 'alice'; text = 'hello from alice' }
        $null = Step waitMessage @{ name = 'bob'; text = 'hello from alice'; from = 'alice' }
        $atCarol = Receive-From $carol alice

        Send-PeerChatBroadcast -Session $carol -Message 'hello from carol'
        $null = Step waitMessage @{ name = 'alice'; text = 'hello from carol'; from = 'carol' }
        $null = Step waitMessage @{ name = 'bob'; text = 'hello from carol'; from = 'carol' }

        $null = Step send @{ name = 'bob'; text = 'hello from bob' }
        $null = Step waitMessage @{ name = 'alice'; text = 'hello from bob'; from = 'bob' }
        $fromBob = Receive-From $carol bob

        $atCarol.Kind | Should -Be 'Broadcast'
        $atCarol.Text | Should -Be 'hello from alice'
        $fromBob.Text | Should -Be 'hello from bob'
    }

    It 'chats in a room, in both directions' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $null = Step join @{ name = 'alice'; room = 'ops' }
        $null = Step join @{ name = 'bob'; room = 'ops' }
        Join-PeerChatRoom -Session $carol -Room ops

        $null = Step send @{ name = 'alice'; text = 'ops from alice' }
        $null = Step waitMessage @{ name = 'bob'; text = 'ops from alice'; from = 'alice' }
        $atCarol = Receive-From $carol alice
        Send-PeerChatBroadcast -Session $carol -Room ops -Message 'ops from carol'
        $null = Step waitMessage @{ name = 'alice'; text = 'ops from carol'; from = 'carol' }
        $null = Step waitMessage @{ name = 'bob'; text = 'ops from carol'; from = 'carol' }

        $atCarol.Kind | Should -Be 'Room'
        $atCarol.Room | Should -Be 'ops'
        $atCarol.Text | Should -Be 'ops from alice'
    }

    It 'chats privately, in both directions, with unread counts for the conversation not shown' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $null = Step direct @{ name = 'alice'; user = 'bob' }
        $null = Step send @{ name = 'alice'; text = 'psst, bob' }
        $null = Step waitUnread @{ name = 'bob'; title = '@alice'; count = 1 }
        $null = Step conversation @{ name = 'bob'; title = '@alice' }
        $null = Step waitMessage @{ name = 'bob'; text = 'psst, bob'; from = 'alice' }
        $null = Step waitUnread @{ name = 'bob'; title = '@alice'; count = 0 }
        $null = Step send @{ name = 'bob'; text = 'psst, alice' }
        $null = Step waitMessage @{ name = 'alice'; text = 'psst, alice'; from = 'bob' }

        Send-PeerChatMessage -Session $carol -UserName alice -Message 'psst from carol' -Route Relay
        $null = Step waitUnread @{ name = 'alice'; title = '@carol'; count = 1 }
        $null = Step conversation @{ name = 'alice'; title = '@carol' }
        $null = Step waitMessage @{ name = 'alice'; text = 'psst from carol'; from = 'carol' }
        $null = Step send @{ name = 'alice'; text = 'psst back, carol' }
        $atCarol = Receive-From $carol alice

        $atCarol.Kind | Should -Be 'Direct'
        $atCarol.Text | Should -Be 'psst back, carol'
    }

    It 'shows a room''s history on opening and pages back to its first message' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        Join-PeerChatRoom -Session $carol -Room paging
        1..55 | ForEach-Object { "page $_" } | Send-PeerChatBroadcast -Session $carol -Room paging

        $null = Step join @{ name = 'alice'; room = 'paging' }
        $null = Step waitMessage @{ name = 'alice'; text = 'page 55'; from = 'carol' }
        $firstPage = (Step messages @{ name = 'alice' }).texts
        $older = Step olderPage @{ name = 'alice'; expectText = 'page 1' }
        $all = (Step messages @{ name = 'alice' }).texts

        $firstPage.Count | Should -Be 50 -Because 'the page asks for the latest 50'
        $firstPage[0] | Should -Be 'page 6'
        $older.olderButtonVisible | Should -BeFalse -Because 'the history is complete'
        $all | Should -Be (1..55 | ForEach-Object { "page $_" })
    }

    It 'counts unread messages live and after logging in, and delivers and confirms offline messages' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $null = Step conversation @{ name = 'alice'; title = 'everyone' }
        'unread 1', 'unread 2', 'unread 3' | Send-PeerChatBroadcast -Session $carol -Room ops
        $null = Step waitUnread @{ name = 'alice'; title = '#ops'; count = 3 }
        $null = Step waitUnread @{ name = 'bob'; title = '#ops'; count = 3 }
        $null = Step conversation @{ name = 'alice'; title = '#ops' }
        $null = Step waitMessage @{ name = 'alice'; text = 'unread 3'; from = 'carol' }
        $null = Step waitUnread @{ name = 'alice'; title = '#ops'; count = 0 }

        $null = Step logout @{ name = 'bob' }
        'unread 4', 'unread 5' | Send-PeerChatBroadcast -Session $carol -Room ops
        $queued = Send-PeerChatMessage -Session $carol -UserName bob -Message 'while you were away' -Route Relay -PassThru
        $null = Step login @{ name = 'bob'; user = 'bob'; password = $TestPassword }
        $null = Step waitUnread @{ name = 'bob'; title = '#ops'; count = 5 }
        $null = Step waitUnread @{ name = 'bob'; title = '@carol'; count = 1 }
        $null = Step conversation @{ name = 'bob'; title = '@carol' }
        $offline = Step waitMessage @{ name = 'bob'; text = 'while you were away'; from = 'carol' }

        # The page confirmed it (received): a later login gets no copy before the next live message.
        $null = Step logout @{ name = 'bob' }
        $bobInPowerShell = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential bob) -NoDirect -ErrorAction Stop
        Send-PeerChatMessage -Session $carol -UserName bob -Message 'fence' -Route Relay
        $next = Receive-From $bobInPowerShell carol
        Disconnect-PeerChat -Session $bobInPowerShell -Confirm:$false
        $null = Step login @{ name = 'bob'; user = 'bob'; password = $TestPassword }

        $queued.Queued | Should -BeTrue
        $offline.item | Should -Match 'while you were away'
        $next.Text | Should -Be 'fence'
        $next.Offline | Should -BeFalse
    }

    It 'shows a message with script and img-onerror markup as text, running nothing' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $null = Step conversation @{ name = 'alice'; title = 'everyone' }
        Send-PeerChatBroadcast -Session $carol -Message $xss
        $atAlice = Step xss @{ name = 'alice'; text = $xss }
        $null = Step direct @{ name = 'alice'; user = 'bob' }
        $null = Step send @{ name = 'alice'; text = $xss }
        $null = Step conversation @{ name = 'bob'; title = '@alice' }
        $atBob = Step xss @{ name = 'bob'; text = $xss }

        $atAlice.pwned | Should -Be 'undefined'
        $atAlice.elementsInLog | Should -Be 0
        $atBob.pwned | Should -Be 'undefined'
        $atBob.elementsInLog | Should -Be 0
    }

    It 'reconnects after the server restarts on the same port and fills the gap from history' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $null = Step conversation @{ name = 'alice'; title = 'everyone' }
        $null = Step conversation @{ name = 'bob'; title = 'everyone' }
        $ports = @{ Port = $server.Port; WebPort = $server.WebPort; UserStorePath = $server.UserStorePath; MessageStorePath = $server.MessageStorePath }

        $null = Step serverDown @{ down = $true }
        $server | Stop-PeerChatServer -Confirm:$false
        $null = $server | Wait-Job -Timeout $TestTimeout.TotalSeconds
        $null = Step waitConnection @{ name = 'alice'; pattern = 'Connection lost' }
        # Alice's page stays cut off until the message is sent: it can get it only from history.
        $null = Step offline @{ name = 'alice'; offline = $true }
        $script:server = Start-TestServer -Settings $ports
        $script:carol = Connect-PeerChat -ComputerName 127.0.0.1 -Port $server.Port -Credential (New-TestCredential carol) -NoDirect -ErrorAction Stop
        Send-PeerChatBroadcast -Session $carol -Message 'while the page was away'
        $null = Step offline @{ name = 'alice'; offline = $false }
        $null = Step waitConnection @{ name = 'alice'; pattern = 'Connected again' }
        $null = Step waitConnection @{ name = 'bob'; pattern = 'Connected again' }
        $null = Step serverDown @{ down = $false }

        $null = Step waitMessage @{ name = 'alice'; text = 'while the page was away'; from = 'carol' }
        $null = Step waitMessage @{ name = 'bob'; text = 'while the page was away'; from = 'carol' }
        $null = Step send @{ name = 'alice'; text = 'back again' }
        $null = Step waitMessage @{ name = 'bob'; text = 'back again'; from = 'alice' }
        (Receive-From $carol alice).Text | Should -Be 'back again'
    }

    It 'fits a 390-pixel-wide window, logged in and not' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $long = 'x' * 300
        Send-PeerChatBroadcast -Session $carol -Message $long
        $null = Step waitMessage @{ name = 'alice'; text = $long; from = 'carol' }
        $null = Step open @{ name = 'guest'; url = "http://127.0.0.1:$($server.WebPort)/" }

        $chat = Step fit @{ name = 'alice'; width = 390; height = 844 }
        $login = Step fit @{ name = 'guest'; width = 390; height = 844 }

        $chat.innerWidth | Should -Be 390
        $chat.scrollWidth | Should -BeLessOrEqual $chat.innerWidth
        $login.scrollWidth | Should -BeLessOrEqual $login.innerWidth
    }

    It 'is usable from the keyboard alone, and a newcomer sees what was said before' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $null = Step open @{ name = 'dave'; url = "http://127.0.0.1:$($server.WebPort)/" }
        $keys = Step keyboardSignup @{ name = 'dave'; user = 'dave'; password = $TestPassword; text = 'typed, not clicked' }
        $null = Step waitMessage @{ name = 'dave'; text = 'back again'; from = 'alice' }
        $atCarol = Receive-From $carol dave

        $keys.focusedBeforeEnter | Should -Be 'Sign up'
        $atCarol.Text | Should -Be 'typed, not clicked'
    }

    It 'requested nothing outside 127.0.0.1 and logged no console errors' {
        if ($missing) { Set-ItResult -Skipped -Because $missing; return }
        $report = Step report

        $report.external | Should -BeNullOrEmpty
        $report.consoleErrors | Should -BeNullOrEmpty
    }
}
