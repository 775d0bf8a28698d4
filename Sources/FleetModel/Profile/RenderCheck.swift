/// The render problems of a stream of projects, each kept as a count and three examples: a check
/// of 1,000,000 projects holds none of them, and its message is the one `renderAll` gives.
package struct RenderCheck {
    package let template: Template
    private var failures: [RenderError.Problem: (count: Int, examples: [String])] = [:]
    private var order: [RenderError.Problem] = []
    private var columns: Set<String> = ["space", "project_id", "label"]
    private var failed = 0
    package private(set) var total = 0

    private let fixed: ProfilePatch?

    package init(_ template: Template) {
        self.template = template
        fixed = template.fixedPatch
    }

    /// The fields for `project`, or nil with its problems counted.
    package mutating func render(_ project: Project) -> ProfilePatch? {
        total += 1
        if let fixed { return fixed }
        columns.formUnion(project.variables.keys)
        switch template.render(for: project) {
        case .success(let patch):
            return patch
        case .failure(let error):
            failed += 1
            for problem in error.problems {
                if failures[problem] == nil { order.append(problem) }
                failures[problem, default: (0, [])].count += 1
                if failures[problem]!.examples.count < 3 {
                    failures[problem]!.examples.append("\(project.space) \(project.projectID)")
                }
            }
            return nil
        }
    }

    /// Throws every problem found, naming the projects it affects; nothing when there was none.
    package func finish() throws {
        guard failed > 0 else { return }
        let details = order.map { problem -> String in
            let (count, examples) = failures[problem]!
            let more = count > 3 ? ", …" : ""
            return
                "\(template.name): \(problem.sentence(columns: columns)) (\(count) of \(total) projects: \(examples.joined(separator: ", "))\(more))"
        }
        throw FleetError(
            "\(template.name) cannot be rendered for \(failed) of \(total) selected projects; nothing was sent. Fix the template or the inventory and try again.",
            details: details)
    }
}
