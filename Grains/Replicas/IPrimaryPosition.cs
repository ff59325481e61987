namespace OrleansRaw.Grains.Replicas;

/// <summary>The primary's current WAL position, as user grains read it when they activate or account for a lapsed lease.</summary>
internal interface IPrimaryPosition
{
    /// <summary>A position at or past every write committed before this call.</summary>
    Task<WalPosition> ReadAsync();
}
