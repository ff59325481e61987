namespace OrleansRaw.ReadYourWrites;

/// <summary>
/// The write hand-off hook: hears of each recorded write before its response leaves, with a token that lets work done
/// elsewhere (a queued job, another service) read as of that write through <see cref="ConsistentReads"/>. Register
/// with <c>services.AddSingleton&lt;IWriteRecordedHandler, YourHandler&gt;()</c>. An exception fails the request,
/// though the write itself stays committed and recorded.
/// </summary>
public interface IWriteRecordedHandler
{
    /// <summary>Hears of <paramref name="write"/>, recorded in its user's grain, before its response leaves.</summary>
    Task OnRecordedAsync(RecordedWrite write, CancellationToken cancellationToken);
}
