using System.ComponentModel.DataAnnotations;

namespace KvsInference.Meeting.Streaming;

/// <summary>Zoom Video SDK REST API settings for stream ingestion (the avatar joins a session as its incoming live stream).</summary>
public sealed class ZoomOptions
{
    /// <summary>Gets or sets the API base URL (ending in /v2/).</summary>
    /// <value>The default value is https://api.zoom.us/v2/.</value>
    [Required]
    public Uri ApiBaseUrl { get; set; } = new("https://api.zoom.us/v2/");

    /// <summary>Gets or sets the Video SDK API key (the JWT issuer); with <see cref="ApiSecret"/> it signs an HS256 JWT per call.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the Video SDK API secret (the JWT's HMAC key).</summary>
    public string? ApiSecret { get; set; }

    /// <summary>Gets or sets a ready OAuth access token, used instead of a JWT when set.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Gets or sets how long each generated JWT is valid.</summary>
    /// <value>The default value is 30 minutes.</value>
    [Range(typeof(TimeSpan), "00:01:00", "2.00:00:00")]
    public TimeSpan JwtLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The settings with the credentials from ZOOM_VIDEOSDK_API_KEY, ZOOM_VIDEOSDK_API_SECRET and ZOOM_ACCESS_TOKEN.</summary>
    /// <returns>The options; without those variables they carry no credentials.</returns>
    public static ZoomOptions FromEnvironment() => new()
    {
        ApiKey = Environment.GetEnvironmentVariable("ZOOM_VIDEOSDK_API_KEY"),
        ApiSecret = Environment.GetEnvironmentVariable("ZOOM_VIDEOSDK_API_SECRET"),
        AccessToken = Environment.GetEnvironmentVariable("ZOOM_ACCESS_TOKEN"),
    };

    /// <summary>Gets whether credentials are configured (otherwise the publisher pushes to a plain RTMP URL).</summary>
    public bool HasCredentials => !string.IsNullOrEmpty(AccessToken) || (!string.IsNullOrEmpty(ApiKey) && !string.IsNullOrEmpty(ApiSecret));
}
