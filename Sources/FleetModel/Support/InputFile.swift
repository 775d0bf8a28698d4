#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a file fleet is given (an inventory, a template, a plan) whole: a regular file, or a
/// pipe, `/dev/stdin`, a process substitution (`<(vault kv get …)`) or `-` for stdin, so tokens
/// can come from a secrets manager without touching the disk. A FIFO nobody writes to reads as
/// empty rather than blocking. Failures say the system's reason.
package enum InputFile {
    /// `what path` (`the template profile.json`) names the file in messages.
    package static func bytes(_ path: String, what: String) throws -> [UInt8] {
        let fd = path == "-" ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw failure(what, errno) }
        defer { close(fd) }
        // Blocking again for the reads: O_NONBLOCK was only for opening a FIFO without a writer.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(what, errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw FleetError("cannot read \(what): it is a directory.") }
        var bytes: [UInt8] = []
        if (info.st_mode & S_IFMT) == S_IFREG { bytes.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { Platform.read(fd, into: $0) }
            if got < 0 && errno == EINTR { continue }
            if got < 0 { throw failure(what, errno) }
            if got == 0 { break }
            bytes += chunk[0..<got]
        }
        if bytes.isEmpty { throw FleetError("\(what) is empty.") }
        return bytes
    }

    private static func failure(_ what: String, _ code: Int32) -> FleetError {
        FleetError("cannot read \(what): \(String(cString: strerror(code))).")
    }
}
