import Crypto
import FleetModel
import Foundation

/// Keeps API tokens out of sight: masks them for display, and seals them with AES-GCM when
/// `FLEET_KEY` (32 bytes, base64) is set, opening them only to build an Authorization header.
package struct TokenVault: Sendable {
    /// The key's bytes (`SymmetricKey` is not Sendable).
    private let keyBytes: Data?
    private static let sealedPrefix = Credentials.sealedPrefix

    package init(keyBytes: Data?) { self.keyBytes = keyBytes }

    private var key: SymmetricKey? { keyBytes.map { SymmetricKey(data: $0) } }

    /// Reads `FLEET_KEY` from the environment; a malformed key is an error rather than a silent
    /// fallback to plain storage.
    package static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> TokenVault
    {
        guard let encoded = environment["FLEET_KEY"], !encoded.isEmpty else { return TokenVault(keyBytes: nil) }
        guard let data = Data(base64Encoded: encoded.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32
        else {
            throw FleetError(
                "FLEET_KEY must be 32 bytes in base64 (for example from `openssl rand -base64 32`); unset it to store tokens unsealed.",
                status: .usage)
        }
        return TokenVault(keyBytes: data)
    }

    /// What the database stores for `token`.
    package func seal(_ token: String) throws -> String {
        guard let key else { return token }
        let box = try AES.GCM.seal(Data(token.utf8), using: key)
        guard let combined = box.combined else { throw FleetError.internal("AES-GCM produced no sealed box.") }
        return Self.sealedPrefix + combined.base64EncodedString()
    }

    /// The token for an Authorization header, from what the database stores.
    package func open(_ stored: String, project: String) throws -> String {
        guard stored.hasPrefix(Self.sealedPrefix) else { return stored }
        guard let key else {
            throw FleetError(
                "the token of project \(project) is sealed; set FLEET_KEY to the key it was imported with.",
                status: .usage)
        }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.sealedPrefix.count))),
            let box = try? AES.GCM.SealedBox(combined: data),
            let plain = try? AES.GCM.open(box, using: key)
        else {
            throw FleetError(
                "the token of project \(project) cannot be opened with this FLEET_KEY; set the key it was imported with, or import the token again.",
                status: .usage)
        }
        return String(decoding: plain, as: UTF8.self)
    }

    /// A database holds sealed or plain tokens, never both, and sealed ones under one key: an
    /// import is refused when this vault would break that. `sealed` is one token the database
    /// holds sealed (nil: none), `plain` how many it holds unsealed.
    func checkImport(into path: String, sealed: String?, plain: Int) throws {
        let reseal =
            "to change how tokens are kept, import the inventory CSV into a new database (`fleet import FILE.csv --db NEW.db`) with FLEET_KEY set (or unset) as you want it."
        if key != nil, plain > 0 {
            throw FleetError.usage(
                "\(path) holds \(plain) unsealed tokens; a FLEET_KEY import would mix sealed and unsealed ones, so nothing was imported. Unset FLEET_KEY, or "
                    + reseal)
        }
        if key == nil, sealed != nil {
            throw FleetError.usage(
                "\(path) holds tokens sealed with a FLEET_KEY; set that key to import, so nothing is stored unsealed beside them. Nothing was imported; "
                    + reseal)
        }
        if let sealed, (try? open(sealed, project: "")) == nil {
            throw FleetError.usage(
                "this FLEET_KEY does not open the tokens \(path) holds (they were sealed with another key); nothing was imported. Set the key they were sealed with, or "
                    + reseal)
        }
    }
}
