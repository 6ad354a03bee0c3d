using System.Collections.Concurrent;
using System.Reflection;
using Xunit.Sdk;

[assembly: PeerChat.Core.Tests.Support.FailOnUnobservedTaskException]

namespace PeerChat.Core.Tests.Support;

/// <summary>
/// A task that faults with nobody awaiting it is an error nobody hears of, and would leave the run
/// green. After every test a full collection finalizes such tasks, and any found fail that test
/// (tests run in parallel, so it may have been one running beside it: the exception says which).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class FailOnUnobservedTaskExceptionAttribute : BeforeAfterTestAttribute
{
    private static readonly ConcurrentQueue<Exception> Unobserved = new();

    static FailOnUnobservedTaskExceptionAttribute() =>
        TaskScheduler.UnobservedTaskException += (_, e) => Unobserved.Enqueue(e.Exception);

    public override void After(MethodInfo methodUnderTest)
    {
        // The event is raised by the finalizer of the faulted task.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var found = new List<Exception>();
        while (Unobserved.TryDequeue(out var exception))
        {
            found.Add(exception);
        }

        if (found.Count > 0)
        {
            throw new AggregateException(
                $"A task faulted unobserved, found after {methodUnderTest.DeclaringType?.Name}.{methodUnderTest.Name} (that test or one running beside it).",
                found);
        }
    }
}
