using OrleansRaw.Tests.Infrastructure;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansRaw.WebApi.Observability;

namespace OrleansRaw.Tests.Observability;

/// <summary>The alert rules without a cluster: thresholds, the read-share window, and one log line per crossing.</summary>
[Trait(TestKinds.Trait, TestKinds.Unit)]
public sealed class ReplicaAlertsTests
{
    private readonly ManualClock _clock = new();
    private readonly LogLines _log = new();

    [Fact]
    public void ReplicaLag_IsLoggedOnceIntoAlert_AndOnceOut_HoweverOftenItIsEvaluated()
    {
        var alerts = Alerts(new AlertOptions { ClearAfter = TimeSpan.FromSeconds(2) });
        var version = 0;
        foreach (var lag in new double[] { 0, 100, 700, 1500, 1400, 900, 300, 0, 0 })
        {
            alerts.Evaluate(Snapshot(++version, ("replica-1", lag), ("replica-2", 0)));
            _clock.Advance(TimeSpan.FromMilliseconds(400));
        }

        // Back within the limit since 2.4 s, but not yet for ClearAfter.
        Assert.Equal(["replica-1"], alerts.Current.LaggingReplicas.Select(r => r.Replica));
        Assert.Equal(1500, alerts.Current.LaggingReplicas[0].PeakLagMs);
        for (var i = 0; i < 10; i++)
        {
            alerts.Evaluate(Snapshot(++version, ("replica-1", 0), ("replica-2", 0)));
            _clock.Advance(TimeSpan.FromMilliseconds(400));
        }

        Assert.Empty(alerts.Current.LaggingReplicas);
        Assert.Equal(2, _log.Lines.Count);
        Assert.StartsWith("Warning Alert raised: replica replica-1 lags 700 ms", _log.Lines[0]);
        Assert.StartsWith("Information Alert cleared: replica replica-1", _log.Lines[1]);
    }

    [Fact]
    public void AnUnhealthyReplica_IsAnAlert_AndAnOlderSnapshotChangesNothing()
    {
        var alerts = Alerts(new AlertOptions());
        alerts.Evaluate(Snapshot(5, ("replica-1", 0), ("replica-2", 0)) with
        {
            Replicas = [new ReplicaStatus("replica-1", true, Lsn.Zero, 0, 0, default), new ReplicaStatus("replica-2", false, Lsn.Zero, 0, 0, default, "connection refused")],
        });
        alerts.Evaluate(Snapshot(4, ("replica-1", 0), ("replica-2", 0)));

        var alert = Assert.Single(alerts.Current.LaggingReplicas);
        Assert.Equal("replica-2", alert.Replica);
        Assert.False(alert.Healthy);
        Assert.Single(_log.Lines);
    }

    [Fact]
    public void PrimaryShare_AlertsOnlyAboveTheLimit_WithEnoughReads_AndForgetsReadsOutsideTheWindow()
    {
        var options = new AlertOptions { MaxPrimaryReadShare = 0.15, MinReadsForPrimaryShare = 20, PrimaryReadShareWindow = TimeSpan.FromSeconds(60) };
        var window = new ReadShareWindow(_clock, options.PrimaryReadShareWindow);
        var alerts = Alerts(options, window);

        for (var i = 0; i < 5; i++)
        {
            window.Record(onPrimary: true);
        }

        Assert.False(alerts.Current.PrimaryShareHigh); // 100 %, but of 5 reads only
        for (var i = 0; i < 25; i++)
        {
            window.Record(onPrimary: false);
        }

        Assert.Equal(5.0 / 30, alerts.Current.Reads.PrimaryShare, 6);
        Assert.True(alerts.Current.PrimaryShareHigh);

        _clock.Advance(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 40; i++)
        {
            window.Record(onPrimary: false);
        }

        Assert.True(alerts.Current.PrimaryShareHigh); // 5 of 70 = 7 %, but clearing takes ClearAfter
        _clock.Advance(TimeSpan.FromSeconds(3));
        Assert.False(alerts.Current.PrimaryShareHigh);

        _clock.Advance(TimeSpan.FromSeconds(40)); // the first 30 reads have left the window
        Assert.Equal(new ReadShare(0, 40, TimeSpan.FromSeconds(60)), alerts.Current.Reads);
        Assert.Equal(2, _log.Lines.Count);
        Assert.Contains("the primary served 16.7 % of 30 reads", _log.Lines[0].Replace("16.7%", "16.7 %"));
    }

    [Theory]
    [InlineData("MaxPrimaryReadShare", 1.5)]
    [InlineData("MinReadsForPrimaryShare", 0)]
    [InlineData("MaxReplicaLag", -1)]
    public void Options_OutOfRange_AreRefused(string property, double value)
    {
        var options = new AlertOptions();
        switch (property)
        {
            case "MaxPrimaryReadShare": options.MaxPrimaryReadShare = value; break;
            case "MinReadsForPrimaryShare": options.MinReadsForPrimaryShare = (int)value; break;
            default: options.MaxReplicaLag = TimeSpan.FromMilliseconds(value); break;
        }

        Assert.Empty(Validate(new AlertOptions()));
        Assert.Contains(Validate(options), e => e.MemberNames.Contains(property));
    }

    private static List<ValidationResult> Validate(AlertOptions options)
    {
        var errors = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true);
        return errors;
    }

    private ReplicaAlerts Alerts(AlertOptions options, ReadShareWindow? window = null) =>
        new(Options.Create(options), window ?? new ReadShareWindow(_clock, options.PrimaryReadShareWindow), _clock, _log);

    private static ReplicaSnapshot Snapshot(long version, params (string Name, double LagMs)[] replicas) =>
        new(version, Lsn.Zero, default, [.. replicas.Select(r => new ReplicaStatus(r.Name, true, Lsn.Zero, r.LagMs, 0, default))], 0);

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    private sealed class LogLines : ILogger<ReplicaAlerts>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel} {formatter(state, exception)}");
    }
}
