namespace KvsInference.LocalKvs.Signaling;

/// <summary>A SINGLE_MASTER signaling channel: at most one master and a bounded set of viewers.</summary>
public sealed class SignalingChannel
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SignalingConnection> _viewers = new(StringComparer.Ordinal);
    private SignalingConnection? _master;

    internal SignalingChannel(string name, string arn, DateTimeOffset createdAt)
    {
        Name = name;
        Arn = arn;
        CreatedAt = createdAt;
    }

    /// <summary>Gets the channel name.</summary>
    public string Name { get; }

    /// <summary>Gets the channel ARN (arn:aws:kinesisvideo:region:account:channel/name/creation-millis).</summary>
    public string Arn { get; }

    /// <summary>Gets when the channel was created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Gets whether a master is connected.</summary>
    public bool HasMaster
    {
        get { lock (_gate) return _master is not null; }
    }

    /// <summary>Gets the number of connected viewers.</summary>
    public int ViewerCount
    {
        get { lock (_gate) return _viewers.Count; }
    }

    internal SignalingConnection? Master
    {
        get { lock (_gate) return _master; }
    }

    internal SignalingConnection? FindViewer(string clientId)
    {
        lock (_gate) return _viewers.GetValueOrDefault(clientId);
    }

    /// <summary>Installs a new master; returns the one it replaces (KVS: the most recent master connection wins).</summary>
    internal SignalingConnection? SetMaster(SignalingConnection master)
    {
        lock (_gate)
        {
            var old = _master;
            _master = master;
            return old;
        }
    }

    /// <summary>
    /// Adds a viewer unless the channel is full. A reconnect with the same client id replaces the old socket when
    /// <paramref name="mayReplace"/> (the credential names that client id, so it is the same client); otherwise a second
    /// connection with an id already connected is refused, so that one viewer cannot take over another's session.
    /// </summary>
    internal ViewerAdmission TryAddViewer(SignalingConnection viewer, int maxViewers, bool mayReplace, out SignalingConnection? replaced)
    {
        lock (_gate)
        {
            replaced = _viewers.GetValueOrDefault(viewer.ClientId!);
            if (replaced is not null && !mayReplace)
            {
                replaced = null;
                return ViewerAdmission.ClientIdInUse;
            }
            if (replaced is null && _viewers.Count >= maxViewers)
            {
                return ViewerAdmission.Full;
            }
            _viewers[viewer.ClientId!] = viewer;
            return ViewerAdmission.Added;
        }
    }

    /// <summary>Whether a viewer with this id is connected.</summary>
    internal bool HasViewer(string clientId)
    {
        lock (_gate) return _viewers.ContainsKey(clientId);
    }

    /// <summary>Whether a new viewer with this id would be refused because the channel is full.</summary>
    internal bool IsFullFor(string clientId, int maxViewers)
    {
        lock (_gate) return !_viewers.ContainsKey(clientId) && _viewers.Count >= maxViewers;
    }

    internal void Remove(SignalingConnection connection)
    {
        lock (_gate)
        {
            if (connection.Role == SignalingRole.Master)
            {
                if (ReferenceEquals(_master, connection)) _master = null;
            }
            else if (_viewers.TryGetValue(connection.ClientId!, out var current) && ReferenceEquals(current, connection))
            {
                _viewers.Remove(connection.ClientId!);
            }
        }
    }

    internal List<SignalingConnection> All()
    {
        lock (_gate)
        {
            var all = new List<SignalingConnection>(_viewers.Values);
            if (_master is not null) all.Add(_master);
            return all;
        }
    }
}

/// <summary>The outcome of <see cref="SignalingChannel.TryAddViewer"/>.</summary>
internal enum ViewerAdmission
{
    Added,
    Full,
    ClientIdInUse,
}
