using System.Net;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using KvsInference.Leases;
using KvsInference.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvsInference.Tests.Leases;

/// <summary>The store contract and DynamoDB specifics against dynalite.</summary>
public sealed class DynamoDbLeaseStoreTests : LeaseStoreContractTests
{
    protected override ILeaseStore CreateStore() => DynamoDbLeaseTestSupport.NewStore(DynamoDbLeaseTestSupport.UniqueTable("contract"));

    [Fact]
    public async Task InitializeAsync_MissingTable_CreatesPayPerRequestTableWithLeaseKeyHash()
    {
        var table = DynamoDbLeaseTestSupport.UniqueTable("create");
        var store = DynamoDbLeaseTestSupport.NewStore(table);
        await store.InitializeAsync(default);
        await store.InitializeAsync(default); // idempotent
        using var client = DynamoDbLeaseTestSupport.NewClient();
        var description = (await client.DescribeTableAsync(table)).Table;
        Assert.Equal(TableStatus.ACTIVE, description.TableStatus);
        Assert.Equal(BillingMode.PAY_PER_REQUEST, description.BillingModeSummary?.BillingMode ?? BillingMode.PAY_PER_REQUEST);
        var key = Assert.Single(description.KeySchema);
        Assert.Equal(("leaseKey", KeyType.HASH), (key.AttributeName, key.KeyType));
        Assert.Equal(ScalarAttributeType.S, Assert.Single(description.AttributeDefinitions).AttributeType);
    }

    [Fact]
    public async Task InitializeAsync_MissingTableNotAllowed_ThrowsNamingTable()
    {
        var table = DynamoDbLeaseTestSupport.UniqueTable("nocreate");
        var store = DynamoDbLeaseTestSupport.NewStore(table, o => o.CreateTableIfMissing = false);
        var e = await Assert.ThrowsAsync<LeaseStoreException>(() => store.ListLeasesAsync(default));
        Assert.Contains(table, e.Message);
    }

    [Fact]
    public async Task Calls_ThrottledThenServerErrors_AreRetriedAndSucceed()
    {
        var table = DynamoDbLeaseTestSupport.UniqueTable("faults");
        await DynamoDbLeaseTestSupport.NewStore(table).InitializeAsync(default);
        var faults = new FaultInjectingHandler(throttles: 2, serverErrors: 1);
        var store = DynamoDbLeaseTestSupport.NewStore(table, o => o.MaxAttempts = 5, faults);
        Assert.True(await store.CreateLeaseIfNotExistsAsync(new Lease("k", "s"), default));
        Assert.Equal(3, faults.Injected);
        Assert.Equal(5, faults.Calls); // DescribeTable x4 (3 faults), then PutItem
    }

    [Fact]
    public async Task Calls_MoreFaultsThanAttempts_ThrowLeaseStoreExceptionNotConditionFalse()
    {
        var table = DynamoDbLeaseTestSupport.UniqueTable("faults2");
        await DynamoDbLeaseTestSupport.NewStore(table).InitializeAsync(default);
        var faults = new FaultInjectingHandler(throttles: 100, serverErrors: 0);
        var store = DynamoDbLeaseTestSupport.NewStore(table, o => o.MaxAttempts = 3, faults);
        var e = await Assert.ThrowsAsync<LeaseStoreException>(() => store.GetLeaseAsync("k", default));
        // DescribeTable's error model has no typed throttling exception: the error code identifies it.
        Assert.Equal("ProvisionedThroughputExceededException", Assert.IsAssignableFrom<AmazonServiceException>(e.InnerException).ErrorCode);
        Assert.Equal(3, faults.Calls);
    }
}

/// <summary>Fails the first calls with DynamoDB's throttling (400) and server (500) errors, then passes through.</summary>
internal sealed class FaultInjectingHandler(int throttles, int serverErrors) : DelegatingHandler(new HttpClientHandler())
{
    private int _calls;

    public int Calls => _calls;

    public int Injected { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _calls);
        if (n <= throttles)
        {
            Injected++;
            return Error(HttpStatusCode.BadRequest, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException", "injected throttle");
        }
        if (n <= throttles + serverErrors)
        {
            Injected++;
            return Error(HttpStatusCode.InternalServerError, "com.amazonaws.dynamodb.v20120810#InternalServerError", "injected 500");
        }
        return await base.SendAsync(request, cancellationToken);
    }

    private static HttpResponseMessage Error(HttpStatusCode status, string type, string message) => new(status)
    {
        Content = new StringContent($"{{\"__type\":\"{type}\",\"message\":\"{message}\"}}", Encoding.UTF8, "application/x-amz-json-1.0"),
    };
}

/// <summary>Gives the SDK an HttpClient over a fault-injecting handler.</summary>
internal sealed class FaultInjectingHttpClientFactory(DelegatingHandler handler) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(handler, disposeHandler: false);

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
}

internal static class DynamoDbLeaseTestSupport
{
    public static string UniqueTable(string prefix) => $"kvsi-leases-{prefix}-{Guid.NewGuid():N}"[..40];

    public static AmazonDynamoDBClient NewClient(DelegatingHandler? handler = null)
    {
        var config = new AmazonDynamoDBConfig
        {
            ServiceURL = Emulators.DynamoDbUrl,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0, // Polly (LeaseStoreResilience) is the retry layer
        };
        if (handler is not null) config.HttpClientFactory = new FaultInjectingHttpClientFactory(handler);
        return new AmazonDynamoDBClient(new BasicAWSCredentials("test", "test"), config);
    }

    public static DynamoDbLeaseStore NewStore(string table, Action<DynamoDbLeaseStoreOptions>? configure = null, DelegatingHandler? handler = null, TimeProvider? time = null)
    {
        var options = new DynamoDbLeaseStoreOptions { TableName = table, RetryBaseDelay = TimeSpan.FromMilliseconds(1) };
        configure?.Invoke(options);
        return new DynamoDbLeaseStore(NewClient(handler), options, time ?? TimeProvider.System, NullLogger<DynamoDbLeaseStore>.Instance);
    }
}
