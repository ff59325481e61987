namespace OrleansRaw.Bench.Results;

/// <summary>
/// The mixed workload at saturation: clients in a closed loop, each writing a post, reading its own posts at once and
/// reading a random other client's posts, every request an operation; with the CPU every part of the system used in
/// the measured window.
/// </summary>
/// <param name="Operations">Requests answered with success that completed inside the window.</param>
/// <param name="CpuMs">CPU milliseconds used in the window, by component (see <see cref="CapacityResult.Components"/>).</param>
/// <param name="LoadGeneratorCpuMs">The benchmark's own CPU in the window: it shares the machine, but is not counted.</param>
public sealed record CapacityResult(
    string Strategy,
    int Repetition,
    int Clients,
    double Seconds,
    long Operations,
    long Writes,
    long Reads,
    long Errors,
    Latency Write,
    Latency Read,
    IReadOnlyDictionary<string, double> CpuMs,
    double LoadGeneratorCpuMs,
    IReadOnlyDictionary<string, int> ErrorKinds)
{
    public const string Api = "API";
    public const string Silos = "Silos";
    public const string Redis = "Redis";
    public const string Primary = "PostgreSQL primary";
    public const string Replicas = "PostgreSQL replicas";

    /// <summary>The components in report order; together they are the whole system under test.</summary>
    public static readonly IReadOnlyList<string> Components = [Api, Silos, Redis, Primary, Replicas];

    public double PerSecond => Seconds <= 0 ? 0 : Operations / Seconds;

    /// <summary>CPU of the whole system under test per operation, in milliseconds.</summary>
    public double CpuMsPerOp => PerOp(CpuMs.Values.Sum());

    /// <summary>The primary's CPU (postmaster and all its processes) per operation, in milliseconds.</summary>
    public double PrimaryCpuMsPerOp => PerOp(CpuMs.GetValueOrDefault(Primary));

    public double PerOp(double cpuMs) => Operations == 0 ? double.NaN : cpuMs / Operations;

    public override string ToString() =>
        $"{Strategy,-22} capacity: {PerSecond:F0} ops/s with {Clients} clients, write p50/p99 {Write.P50:F1}/{Write.P99:F1} ms, "
        + $"read {Read.P50:F1}/{Read.P99:F1} ms; CPU {CpuMsPerOp:F3} ms/op ("
        + string.Join(", ", Components.Select(c => $"{c} {PerOp(CpuMs.GetValueOrDefault(c)):F3}"))
        + $"), load generator {PerOp(LoadGeneratorCpuMs):F3} ms/op (not counted), {Errors} errors";
}
