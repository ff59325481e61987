using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using OrleansRaw.WebApi.Auth;
using OrleansRaw.ReadYourWrites;

namespace OrleansRaw.WebApi.Features;

/// <summary>The caller's shopping cart: add items, remove a line, view it.</summary>
public static class CartApi
{
    public const int MaxQuantity = 1000;
    private const string ItemsSql =
        "SELECT product_id AS ProductId, quantity AS Quantity, added_at AS AddedAt FROM cart_items WHERE user_id = @userId ORDER BY added_at, product_id";

    public static IEndpointRouteBuilder MapCartApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/cart").WithTags("Cart").RequireAuthorization(AuthSetup.SignedInUser);
        api.MapPost("/items", AddItem).WithName("AddCartItem").WithSummary("Add a quantity of a product to the signed-in user's cart")
            .WritesCallerData().RequireRateLimiting(Hosting.RateLimitOptions.WritesPolicy);
        api.MapDelete("/items/{productId:long}", RemoveItem).WithName("RemoveCartItem").WithSummary("Remove a product from the signed-in user's cart")
            .WritesCallerData().RequireRateLimiting(Hosting.RateLimitOptions.WritesPolicy);
        api.MapGet("/", GetCart).WithName("GetCart").WithSummary("Get the signed-in user's cart").ReadsCallerData();
        return routes;
    }

    public sealed record AddItemRequest(long ProductId, int Quantity);

    public sealed record CartItem(long ProductId, int Quantity, DateTime AddedAt);

    public sealed record Cart(List<CartItem> Items);

    private static async Task<Results<Ok<Cart>, ValidationProblem>> AddItem(
        AddItemRequest request, HttpContext http, RoutedDatabase db, CancellationToken cancellationToken)
    {
        if ((Validation.Range(request.ProductId, "productId", 1, long.MaxValue) ?? Validation.Range(request.Quantity, "quantity", 1, MaxQuantity)) is { } problem)
        {
            return problem;
        }

        var userId = CurrentUser.RequiredId(http.User);
        var cart = await db.WriteAsync(async connection =>
        {
            // One line may hold at most MaxQuantity: a sum beyond it changes nothing and returns null.
            var added = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                """
                INSERT INTO cart_items AS c (user_id, product_id, quantity) VALUES (@userId, @productId, @quantity)
                ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = c.quantity + excluded.quantity
                WHERE c.quantity + excluded.quantity <= @max
                RETURNING product_id
                """,
                new { userId, productId = request.ProductId, quantity = request.Quantity, max = MaxQuantity }, cancellationToken: cancellationToken));
            return added is null ? null : await ItemsOf(connection, userId, cancellationToken);
        }, cancellationToken);

        return cart is null
            ? Validation.Problem("quantity", $"A cart line holds at most {MaxQuantity} of a product.")
            : TypedResults.Ok(cart);
    }

    private static async Task<NoContent> RemoveItem(long productId, HttpContext http, RoutedDatabase db, CancellationToken cancellationToken)
    {
        var userId = CurrentUser.RequiredId(http.User);
        await db.WriteAsync<long>(
            "DELETE FROM cart_items WHERE user_id = @userId AND product_id = @productId RETURNING product_id",
            new { userId, productId }, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<Cart>> GetCart(HttpContext http, RoutedDatabase db, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Cart(await db.QueryAsync<CartItem>(ItemsSql, new { userId = CurrentUser.RequiredId(http.User) }, cancellationToken)));

    private static async Task<Cart> ItemsOf(NpgsqlConnection connection, long userId, CancellationToken cancellationToken) =>
        new((await connection.QueryAsync<CartItem>(new CommandDefinition(ItemsSql, new { userId }, cancellationToken: cancellationToken))).AsList());
}
