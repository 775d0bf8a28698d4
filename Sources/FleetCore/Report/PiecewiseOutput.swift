/// Text handed on in pieces of about 64 KiB as it is made: a report of 1,000,000 projects is
/// never one string.
struct PiecewiseOutput {
    private var text = ""
    private let write: (String) -> Void

    init(_ write: @escaping (String) -> Void) {
        self.write = write
    }

    mutating func append(_ piece: String) {
        text += piece
        if text.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !text.isEmpty else { return }
        write(text)
        text = ""
    }
}
