/// The sample files, embedded in the binary so `fleet demo` runs from anywhere.
package enum FleetSamples {
    /// (file name, contents)
    package static let files: [(String, String)] = [
        ("projects.csv", String(decoding: PackageResources.projects_csv, as: UTF8.self)),
        ("profile.json", String(decoding: PackageResources.profile_json, as: UTF8.self)),
        ("corrected-tokens.csv", String(decoding: PackageResources.corrected_tokens_csv, as: UTF8.self)),
    ]
}
