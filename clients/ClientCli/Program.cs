// ClientCli BASE_ADDRESS TOKEN_FILE|- post TEXT    creates a post, prints its id
// ClientCli BASE_ADDRESS TOKEN_FILE|- read         prints the ids of the signed-in user's posts, one a line
//
// The bearer JWT comes from ORLEANSRAW_JWT (not an argument, so it is not in the process list). With TOKEN_FILE the
// consistency token is kept in that file across runs; with "-" no token is kept or sent: the client as written by hand.
using System.Net.Http.Headers;
using OrleansRaw.Client;
using OrleansRaw.Client.Models;

if (args is not [var address, var tokenFile, var action, ..] || action is not ("post" or "read"))
{
    Console.Error.WriteLine("usage: ClientCli BASE_ADDRESS TOKEN_FILE|- post TEXT | read");
    return 2;
}

var baseAddress = new Uri(address);
using var http = tokenFile == "-"
    ? new HttpClient { BaseAddress = baseAddress }
    : OrleansRawClient.CreateHttpClient(baseAddress, new FileConsistencyTokenStore(tokenFile));
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
    Environment.GetEnvironmentVariable("ORLEANSRAW_JWT") ?? throw new InvalidOperationException("ORLEANSRAW_JWT is not set"));
var api = OrleansRawClient.Create(http);

if (action == "post")
{
    var post = await api.Api.Posts.PostAsync(new CreatePostRequest { Content = args.Length > 3 ? args[3] : "from ClientCli" });
    Console.WriteLine(post!.Id);
}
else
{
    foreach (var post in await api.Api.Posts.GetAsync() ?? [])
    {
        Console.WriteLine(post.Id);
    }
}

return 0;
