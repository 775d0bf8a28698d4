import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The simulator's HTTPS: a certificate made at start by a private authority of its own (or the
/// operator's files), HTTP/2 and HTTP/1.1 offered by ALPN unless `http1Only`.
package struct SimulatorTLS: Sendable {
    /// The certificate chain and key, in PEM.
    package var certificatePEM: String
    package var keyPEM: String
    /// The authority to trust (fleet's `--ca-file`), written to a file when the certificate was
    /// generated; nil for the operator's own files.
    package var authorityFile: String?
    package var http1Only: Bool

    /// A new authority and a certificate from it for `hosts` (IP addresses or DNS names), valid
    /// from an hour ago for `days`; the authority's certificate is written to `authorityFile`.
    package static func generated(
        hosts: [String] = ["127.0.0.1", "::1", "localhost"], authorityFile: String, http1Only: Bool = false,
        days: Double = 30
    ) throws -> SimulatorTLS {
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName { CommonName("fleet simulator authority") }
        let now = Date()
        let authority = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(authorityKey.publicKey), notValidBefore: now - 3600,
            notValidAfter: now + days * 86_400, issuer: authorityName, subject: authorityName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(authorityKey))
        let key = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 3600,
            notValidAfter: now + days * 86_400,
            issuer: authorityName, subject: try DistinguishedName { CommonName(hosts.first ?? "localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(hosts.map(Self.name))
            },
            issuerPrivateKey: .init(authorityKey))
        let authorityPEM = try authority.serializeAsPEM().pemString
        try Data((authorityPEM + "\n").utf8).write(to: URL(fileURLWithPath: authorityFile))
        return SimulatorTLS(
            certificatePEM: try leaf.serializeAsPEM().pemString + "\n" + authorityPEM, keyPEM: key.pemRepresentation,
            authorityFile: authorityFile, http1Only: http1Only)
    }

    /// The operator's own certificate (chain) and key files, in PEM.
    package static func files(certificate: String, key: String, http1Only: Bool = false) throws -> SimulatorTLS {
        guard let chain = FileManager.default.contents(atPath: certificate),
            let keyData = FileManager.default.contents(atPath: key)
        else {
            throw FleetError.usage("cannot read --cert \(certificate) or --key \(key); give PEM files.")
        }
        return SimulatorTLS(
            certificatePEM: String(decoding: chain, as: UTF8.self), keyPEM: String(decoding: keyData, as: UTF8.self),
            authorityFile: nil, http1Only: http1Only)
    }

    /// An IP address as an iPAddress name, anything else as a dNSName.
    static func name(_ host: String) -> GeneralName {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: v4) { Array($0) })))
        }
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(withUnsafeBytes(of: v6) { Array($0) })))
        }
        return .dnsName(host)
    }

    /// The server side's TLS configuration (ALPN is set by the server builder).
    package func serverConfiguration() throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map(
            NIOSSLCertificateSource.certificate)
        do {
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: chain,
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)))
        } catch {
            throw FleetError.usage("the simulator's key is not a PEM private key (\(error)).")
        }
    }
}
