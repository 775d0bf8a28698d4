import FleetModel
import Foundation

package enum HTTPVerb: String, Sendable {
    case get = "GET"
    case put = "PUT"
}
