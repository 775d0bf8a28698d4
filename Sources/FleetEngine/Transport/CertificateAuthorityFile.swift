import AsyncHTTPClient
import FleetModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// `--ca-file`: one or more PEM certificates.
package enum CertificateAuthorityFile {
    package static func load(_ path: String) throws -> [NIOSSLCertificate] {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FleetError.usage("--ca-file \(path) cannot be read; give the path of a PEM certificate or bundle.")
        }
        guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else {
            throw FleetError.usage(
                "--ca-file \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----); give a certificate or bundle in PEM."
            )
        }
        return certificates
    }
}
