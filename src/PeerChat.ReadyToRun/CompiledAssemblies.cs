using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace PeerChat.ReadyToRun;

/// <summary>
/// Loads the PeerChat.Core compiled ahead of time (ReadyToRun) for this platform, from
/// runtimes/&lt;rid&gt;/lib in the module's folder, before PowerShell reads PeerChat.PowerShell.dll's
/// types (which binds its reference to PeerChat.Core): the reference then binds to the compiled
/// copy, and neither Import-Module nor a first server or session waits for the JIT to compile it.
/// Code compiled for one platform does not load on another (BadImageFormatException), so the
/// portable copy beside PeerChat.PowerShell.dll stays, and PowerShell loads it wherever there is no
/// match, or when a PeerChat.Core is already loaded. A nested binary module rather than a script:
/// a script module would make PowerShell compile its script machinery at every first import.
/// </summary>
public sealed class CompiledAssemblies : IModuleAssemblyInitializer
{
    internal const string CoreAssemblyName = "PeerChat.Core";

    public void OnImport()
    {
        var moduleDirectory = Path.GetDirectoryName(typeof(CompiledAssemblies).Assembly.Location)!;
        var compiled = Path.Combine(moduleDirectory, "runtimes", CurrentRuntime(), "lib", CoreAssemblyName + ".dll");
        if (!File.Exists(compiled) || AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == CoreAssemblyName))
        {
            return;
        }

        try
        {
            AssemblyLoadContext.Default.LoadFromAssemblyPath(compiled);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException)
        {
            // The portable copy works everywhere; only the start is slower.
        }
    }

    /// <summary>The runtime identifier of this process, such as linux-x64 (as ModuleDependencies names it).</summary>
    internal static string CurrentRuntime()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }
}
