using System.Security.Cryptography;
using System.Text;

namespace OrleansRaw.ReadYourWrites;

/// <summary>SHA-256 of a request's method, path with query, and body bytes: what "the same request" means for a key.</summary>
internal static class RequestFingerprint
{
    public static async Task<byte[]> ComputeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // The body was read by parameter binding; it can be read again because KeyedBodyBuffering kept it.
        if (!request.Body.CanSeek)
        {
            throw new InvalidOperationException($"A request with an {IdempotencyHeaders.Key} reached its endpoint unbuffered: "
                + "AddReadYourWrites buffers such bodies at the head of the pipeline, so something before it replaced "
                + "Request.Body with a stream that cannot seek; keep that middleware's stream seekable or buffer it there.");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method}\n{request.Path}{request.QueryString}\n"));
        request.Body.Position = 0;
        var buffer = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        return hash.GetHashAndReset();
    }
}
