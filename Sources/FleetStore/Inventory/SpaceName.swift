import FleetModel
import Foundation

/// A SignalWire space name: one DNS label, since it becomes `{space}.signalwire.com`.
package enum SpaceName {
    package static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        let shown = "space \"\(name)\""
        if bytes.isEmpty { return "the space is empty" }
        if bytes.count > 63 { return "\(shown) is \(bytes.count) characters; a space name is at most 63" }
        let allowed = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        if !allowed || bytes.first == 0x2D || bytes.last == 0x2D {
            return
                "\(shown) is not a space name: use letters, digits and inner hyphens only (the part before .signalwire.com)"
        }
        return nil
    }
}
