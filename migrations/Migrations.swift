/// The schema migrations, embedded in the binary so a copied `fleet` runs anywhere.
/// Append a new numbered file for every change; never edit one that has shipped.
package enum FleetMigrations {
    /// (identifier, SQL) in the order they must run.
    package static let all: [(String, String)] = [
        ("0001_schema", String(decoding: PackageResources._001_schema_sql, as: UTF8.self)),
        ("0002_runs_waves_executions", String(decoding: PackageResources._002_runs_waves_executions_sql, as: UTF8.self)),
        ("0003_database_identity", String(decoding: PackageResources._003_database_identity_sql, as: UTF8.self)),
        ("0004_holds", String(decoding: PackageResources._004_holds_sql, as: UTF8.self)),
        ("0005_change_record", String(decoding: PackageResources._005_change_record_sql, as: UTF8.self)),
        ("0006_cheaper_checks", String(decoding: PackageResources._006_cheaper_checks_sql, as: UTF8.self)),
    ]
}
