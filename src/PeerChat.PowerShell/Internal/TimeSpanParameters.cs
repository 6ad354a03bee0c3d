using System.Globalization;
using System.Management.Automation;

namespace PeerChat.PowerShell.Internal;

/// <summary>
/// Reads a plain number given to a TimeSpan parameter as seconds, as Wait-Job -Timeout and
/// Invoke-WebRequest -TimeoutSec do. PowerShell's own conversion reads an integer as ticks (so
/// <c>-Timeout 5</c> would be half a microsecond) and the string "5" as five days. A TimeSpan, or a
/// string such as '00:00:30', passes through unchanged.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class SecondsAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            byte or sbyte or short or ushort or int or uint or long or ulong or float or double or decimal =>
                FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => FromSeconds(seconds),
            _ => inputData,
        };
    }

    private static TimeSpan FromSeconds(double seconds)
    {
        if (double.IsNaN(seconds) || Math.Abs(seconds) > TimeSpan.MaxValue.TotalSeconds)
        {
            throw new ArgumentTransformationMetadataException($"{seconds} seconds is not a time span PeerChat can use.");
        }

        return TimeSpan.FromSeconds(seconds);
    }
}

/// <summary>Refuses a TimeSpan below a minimum, naming the minimum and how numbers are read.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class ValidateMinimumTimeSpanAttribute : ValidateArgumentsAttribute
{
    private readonly TimeSpan _minimum;

    public ValidateMinimumTimeSpanAttribute(double minimumSeconds) => _minimum = TimeSpan.FromSeconds(minimumSeconds);

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        var value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        if (value is TimeSpan span && span < _minimum)
        {
            throw new ValidationMetadataException(
                $"The time span {span} is shorter than the minimum of {_minimum.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s. A plain number is read as seconds (30 is 30 seconds); a TimeSpan or a string such as '00:05:00' is read as it is.");
        }
    }
}
