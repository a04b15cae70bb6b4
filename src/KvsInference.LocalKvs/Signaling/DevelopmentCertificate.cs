using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvsInference.LocalKvs.Signaling;

/// <summary>
/// A self-signed TLS certificate for 127.0.0.1, ::1 and localhost, made at start-up, so that wss:// works on
/// loopback (the KVS JS SDK's default signer accepts only wss:// endpoints). Clients trust it by its PEM
/// (node: NODE_EXTRA_CA_CERTS=<pem file>) — it is never installed in any trust store.
/// </summary>
public static class DevelopmentCertificate
{
    /// <summary>Creates a certificate valid for <paramref name="lifetime"/> (default 7 days) with its private key.</summary>
    /// <param name="lifetime">How long the certificate is valid from now.</param>
    /// <returns>The certificate, usable as a Kestrel server certificate.</returns>
    public static X509Certificate2 Create(TimeSpan? lifetime = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=KvsInference development (127.0.0.1)", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        // Marked as its own CA so that OpenSSL-based clients accept it as a trust anchor given as a CA file.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var cert = request.CreateSelfSigned(now.AddMinutes(-5), now + (lifetime ?? TimeSpan.FromDays(7)));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Writes the certificate (public part only) as PEM, for clients to trust.</summary>
    /// <param name="certificate">The certificate.</param>
    /// <param name="path">The file to write.</param>
    public static void WritePem(X509Certificate2 certificate, string path)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");
    }
}
