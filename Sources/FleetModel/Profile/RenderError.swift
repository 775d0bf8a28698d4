import Crypto
import Foundation

package struct RenderError: Error, Sendable {
    package enum Problem: Sendable, Hashable {
        case missing(placeholder: String)
        case invalid(String)

        /// The problem as the operator reads it, with a column name close to a misspelt placeholder.
        func sentence(columns: Set<String>) -> String {
            switch self {
            case .missing(let name):
                if let close = Suggestion.closest(to: name, in: columns) {
                    return
                        "placeholder {{\(name)}} has no value; did you mean {{\(close)}}? (or add a \(name) column to the inventory)"
                }
                return
                    "placeholder {{\(name)}} has no value; add a \(name) column to the inventory CSV and import it again"
            case .invalid(let text):
                return text.escapingControlCharacters
            }
        }
    }

    package var project: Project
    package var problems: [Problem]
}
