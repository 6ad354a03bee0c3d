using PeerChat.Fuzz;

namespace PeerChat.Core.Tests;

/// <summary>
/// Every seed of the fuzz corpus and every input the fuzzer found a crash with (fuzz/regressions,
/// one folder per target) runs through the same target as under AFL++, so a fixed crash stays fixed.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FuzzRegressionTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        var fuzz = Path.Combine(RepositoryRoot(), "fuzz");
        foreach (var kind in new[] { "corpus", "regressions" })
        {
            foreach (var target in new[] { "frames", "userstore", "client", "irc", "http" })
            {
                var folder = Path.Combine(fuzz, kind, target);
                foreach (var file in Directory.Exists(folder) ? Directory.EnumerateFiles(folder).Order() : Enumerable.Empty<string>())
                {
                    data.Add(target, Path.GetRelativePath(fuzz, file));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void AFuzzInput_RunsThroughItsTarget_WithoutACrash(string target, string input)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryRoot(), "fuzz", input));

        Action<byte[]> run = target switch
        {
            "frames" => FuzzTargets.Frames,
            "userstore" => FuzzTargets.UserStore,
            "irc" => IrcFuzzTargets.Lines,
            "http" => HttpFuzzTargets.Requests,
            _ => FuzzTargets.ClientFrames,
        };

        run(bytes);
    }

    [Fact]
    public void TheFuzzCorpus_IsThere()
    {
        Assert.True(Inputs().Count >= 3, "no fuzz inputs found under fuzz/corpus");
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "PeerChat.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new DirectoryNotFoundException("PeerChat.sln is not above the test assembly.");
    }
}
