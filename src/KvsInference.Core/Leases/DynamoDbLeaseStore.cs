using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Polly;
using static KvsInference.Leases.LeaseConstants;

namespace KvsInference.Leases;

/// <summary>
/// The lease table in DynamoDB. Every write is a conditional expression on <c>leaseCounter</c> (and <c>leaseOwner</c>
/// where the holder writes) or on <c>attribute_not_exists(leaseKey)</c>; a <see cref="ConditionalCheckFailedException"/>
/// becomes <c>false</c>. Reads are strongly consistent. Throttling and 5xx are retried by
/// <see cref="LeaseStoreResilience"/>; configure the SDK client with <c>MaxErrorRetry = 0</c> to make that the only
/// retry layer (otherwise the SDK's own retries run inside each attempt).
/// </summary>
public sealed class DynamoDbLeaseStore : ILeaseStore
{
    private readonly IAmazonDynamoDB _client;
    private readonly DynamoDbLeaseStoreOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private volatile bool _initialized;

    /// <summary>Creates the store.</summary>
    /// <param name="client">The DynamoDB client.</param>
    /// <param name="options">The table and retry options; validated here.</param>
    /// <param name="timeProvider">The clock for backoff delays and the ACTIVE wait.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public DynamoDbLeaseStore(IAmazonDynamoDB client, DynamoDbLeaseStoreOptions options, TimeProvider timeProvider, ILogger<DynamoDbLeaseStore> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        _client = client;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _pipeline = LeaseStoreResilience.Create(options.MaxAttempts, options.RetryBaseDelay, timeProvider, logger);
    }

    /// <summary>Gets the table name.</summary>
    public string TableName => _options.TableName;

    /// <inheritdoc/>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized) return;
        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized) return;
            var status = await DescribeStatusAsync(cancellationToken).ConfigureAwait(false);
            if (status is null)
            {
                if (!_options.CreateTableIfMissing)
                {
                    throw new LeaseStoreException($"The lease table '{TableName}' does not exist and CreateTableIfMissing is false.");
                }
                await CreateTableAsync(cancellationToken).ConfigureAwait(false);
            }
            if (status != TableStatus.ACTIVE) await WaitActiveAsync(cancellationToken).ConfigureAwait(false);
            _initialized = true;
        }
        finally
        {
            _initGate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<bool> CreateLeaseIfNotExistsAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var request = new PutItemRequest
        {
            TableName = TableName,
            Item = ToItem(lease),
            ConditionExpression = "attribute_not_exists(#k)",
            ExpressionAttributeNames = new() { ["#k"] = LeaseKeyAttribute },
        };
        return await ConditionalAsync("create", lease.LeaseKey, ct => _client.PutItemAsync(request, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<Lease>> ListLeasesAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var leases = new List<Lease>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var request = new ScanRequest { TableName = TableName, ConsistentRead = true, ExclusiveStartKey = start };
            var response = await CallAsync("list", null, ct => _client.ScanAsync(request, ct), cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? []) leases.Add(FromItem(item));
            start = response.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        return leases;
    }

    /// <inheritdoc/>
    public async Task<Lease?> GetLeaseAsync(string leaseKey, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseKey);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        var request = new GetItemRequest { TableName = TableName, Key = Key(leaseKey), ConsistentRead = true };
        var response = await CallAsync("get", leaseKey, ct => _client.GetItemAsync(request, ct), cancellationToken).ConfigureAwait(false);
        return response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    /// <inheritdoc/>
    public Task<bool> RenewLeaseAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return UpdateAsync("renew", lease, requireOwner: true, "SET #c = :new", new(), next => { }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> TakeLeaseAsync(Lease lease, string newOwner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentException.ThrowIfNullOrEmpty(newOwner);
        // The switch count is computed from the listed copy: safe because the write is conditional on its counter.
        var switches = string.Equals(lease.LeaseOwner, newOwner, StringComparison.Ordinal) ? lease.OwnerSwitchesSinceCheckpoint : lease.OwnerSwitchesSinceCheckpoint + 1;
        return UpdateAsync("take", lease, requireOwner: false, "SET #c = :new, #o = :newOwner, #sw = :sw",
            new() { [":newOwner"] = S(newOwner), [":sw"] = N(switches) },
            next => { next.LeaseOwner = newOwner; next.OwnerSwitchesSinceCheckpoint = switches; }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> EvictLeaseAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return UpdateAsync("evict", lease, requireOwner: true, "SET #c = :new REMOVE #o", new(), next => next.LeaseOwner = null, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> UpdateCheckpointAsync(Lease lease, string checkpoint, DateTimeOffset? producerTimestamp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentException.ThrowIfNullOrEmpty(checkpoint);
        var values = new Dictionary<string, AttributeValue> { [":cp"] = S(checkpoint), [":zero"] = N(0) };
        string expression;
        if (producerTimestamp is { } ts)
        {
            values[":ts"] = N(ts.ToUnixTimeMilliseconds());
            expression = "SET #c = :new, #cp = :cp, #sw = :zero, #ts = :ts";
        }
        else
        {
            expression = "SET #c = :new, #cp = :cp, #sw = :zero REMOVE #ts";
        }
        return UpdateAsync("checkpoint", lease, requireOwner: true, expression, values, next =>
        {
            next.Checkpoint = checkpoint;
            next.CheckpointProducerTimestamp = producerTimestamp is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds()) : null;
            next.OwnerSwitchesSinceCheckpoint = 0;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<bool> DeleteLeaseAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var request = new DeleteItemRequest
        {
            TableName = TableName,
            Key = Key(lease.LeaseKey),
            ConditionExpression = "#c = :old",
            ExpressionAttributeNames = new() { ["#c"] = LeaseCounterAttribute },
            ExpressionAttributeValues = new() { [":old"] = N(lease.LeaseCounter) },
        };
        return await ConditionalAsync("delete", lease.LeaseKey, ct => _client.DeleteItemAsync(request, ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> UpdateAsync(string operation, Lease lease, bool requireOwner, string updateExpression,
        Dictionary<string, AttributeValue> values, Action<Lease> applyOnSuccess, CancellationToken cancellationToken)
    {
        var names = new Dictionary<string, string> { ["#c"] = LeaseCounterAttribute };
        if (updateExpression.Contains("#o", StringComparison.Ordinal) || requireOwner) names["#o"] = LeaseOwnerAttribute;
        if (updateExpression.Contains("#sw", StringComparison.Ordinal)) names["#sw"] = OwnerSwitchesSinceCheckpointAttribute;
        if (updateExpression.Contains("#cp", StringComparison.Ordinal)) names["#cp"] = CheckpointAttribute;
        if (updateExpression.Contains("#ts", StringComparison.Ordinal)) names["#ts"] = CheckpointProducerTimestampAttribute;
        values[":old"] = N(lease.LeaseCounter);
        values[":new"] = N(lease.LeaseCounter + 1);
        var condition = "#c = :old";
        if (requireOwner)
        {
            if (lease.LeaseOwner is null) return false; // an unowned lease has no holder who could renew, release or checkpoint it
            values[":owner"] = S(lease.LeaseOwner);
            condition += " AND #o = :owner";
        }
        var request = new UpdateItemRequest
        {
            TableName = TableName,
            Key = Key(lease.LeaseKey),
            UpdateExpression = updateExpression,
            ConditionExpression = condition,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
        var ok = await ConditionalAsync(operation, lease.LeaseKey, ct => _client.UpdateItemAsync(request, ct), cancellationToken).ConfigureAwait(false);
        if (ok)
        {
            lease.LeaseCounter++;
            applyOnSuccess(lease);
        }
        return ok;
    }

    private async Task<bool> ConditionalAsync<T>(string operation, string leaseKey, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CallAsync(operation, leaseKey, call, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (LeaseStoreException e) when (e.InnerException is ConditionalCheckFailedException)
        {
            return false;
        }
    }

    private async Task<T> CallAsync<T>(string operation, string? leaseKey, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(static async (state, ct) => await state(ct).ConfigureAwait(false), call, cancellationToken).ConfigureAwait(false);
        }
        catch (ConditionalCheckFailedException e)
        {
            throw new LeaseStoreException($"Condition failed on {operation} of '{leaseKey}'.", e);
        }
        catch (AmazonServiceException e)
        {
            throw new LeaseStoreException($"DynamoDB {operation} on table '{TableName}'{(leaseKey is null ? "" : $" for lease '{leaseKey}'")} failed: {e.ErrorCode} {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new LeaseStoreException($"DynamoDB {operation} on table '{TableName}' failed: {e.Message}", e);
        }
    }

    private async Task<TableStatus?> DescribeStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await CallAsync("describe", null, ct => _client.DescribeTableAsync(new DescribeTableRequest { TableName = TableName }, ct), cancellationToken).ConfigureAwait(false);
            return response.Table.TableStatus;
        }
        catch (LeaseStoreException e) when (e.InnerException is ResourceNotFoundException)
        {
            return null;
        }
    }

    private async Task CreateTableAsync(CancellationToken cancellationToken)
    {
        _logger.LogInformation("Creating lease table {Table} (PAY_PER_REQUEST, hash key {Key}).", TableName, LeaseKeyAttribute);
        var request = new CreateTableRequest
        {
            TableName = TableName,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            KeySchema = [new KeySchemaElement(LeaseKeyAttribute, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(LeaseKeyAttribute, ScalarAttributeType.S)],
        };
        try
        {
            await CallAsync("create table", null, ct => _client.CreateTableAsync(request, ct), cancellationToken).ConfigureAwait(false);
        }
        catch (LeaseStoreException e) when (e.InnerException is ResourceInUseException)
        {
            // Another worker created it first: fine, wait for ACTIVE below.
        }
    }

    private async Task WaitActiveAsync(CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(50);
        while (await DescribeStatusAsync(cancellationToken).ConfigureAwait(false) != TableStatus.ACTIVE)
        {
            if (_timeProvider.GetElapsedTime(started) > _options.TableActiveTimeout)
            {
                throw new LeaseStoreException($"The lease table '{TableName}' did not become ACTIVE within {_options.TableActiveTimeout}.");
            }
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
        }
    }

    private static Dictionary<string, AttributeValue> Key(string leaseKey) => new() { [LeaseKeyAttribute] = S(leaseKey) };

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    private static Dictionary<string, AttributeValue> ToItem(Lease lease)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [LeaseKeyAttribute] = S(lease.LeaseKey),
            [StreamNameAttribute] = S(lease.StreamName),
            [LeaseCounterAttribute] = N(lease.LeaseCounter),
            [OwnerSwitchesSinceCheckpointAttribute] = N(lease.OwnerSwitchesSinceCheckpoint),
        };
        if (lease.LeaseOwner is not null) item[LeaseOwnerAttribute] = S(lease.LeaseOwner);
        if (lease.Checkpoint is not null) item[CheckpointAttribute] = S(lease.Checkpoint);
        if (lease.CheckpointProducerTimestamp is { } ts) item[CheckpointProducerTimestampAttribute] = N(ts.ToUnixTimeMilliseconds());
        return item;
    }

    private static Lease FromItem(Dictionary<string, AttributeValue> item)
    {
        string? Str(string name) => item.TryGetValue(name, out var v) ? v.S : null;
        long Num(string name) => item.TryGetValue(name, out var v) && v.N is { } n ? long.Parse(n, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;
        var key = Str(LeaseKeyAttribute) ?? throw new LeaseStoreException("A lease item has no leaseKey.");
        return new Lease(key, Str(StreamNameAttribute) is { Length: > 0 } name ? name : key)
        {
            LeaseOwner = Str(LeaseOwnerAttribute),
            LeaseCounter = Num(LeaseCounterAttribute),
            Checkpoint = Str(CheckpointAttribute),
            CheckpointProducerTimestamp = item.ContainsKey(CheckpointProducerTimestampAttribute)
                ? DateTimeOffset.FromUnixTimeMilliseconds(Num(CheckpointProducerTimestampAttribute)) : null,
            OwnerSwitchesSinceCheckpoint = Num(OwnerSwitchesSinceCheckpointAttribute),
        };
    }
}
