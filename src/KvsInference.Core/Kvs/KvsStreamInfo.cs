namespace KvsInference.Kvs;

/// <summary>A video stream as the KVS control plane lists it.</summary>
/// <param name="StreamName">The stream name.</param>
/// <param name="StreamArn">The stream ARN.</param>
/// <param name="Status">CREATING, ACTIVE, UPDATING or DELETING.</param>
/// <param name="CreationTime">When the stream was created.</param>
public sealed record KvsStreamInfo(string StreamName, string StreamArn, string Status, DateTimeOffset CreationTime);
