#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The system calls whose names or numbers differ between Linux and macOS, in one place. fleet is
/// built and tested on Linux; the macOS branch is written but neither built nor tested (see the
/// README). Everything else fleet asks of the system (posix_spawn, signals, realpath) is POSIX.
package enum Platform {
    /// write(2): the bytes written, or -1 with `errno` set.
    package static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        #if canImport(Glibc)
            Glibc.write(fd, bytes.baseAddress, bytes.count)
        #else
            Darwin.write(fd, bytes.baseAddress, bytes.count)
        #endif
    }

    /// read(2): the bytes read, 0 at end of file, or -1 with `errno` set.
    package static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        #if canImport(Glibc)
            Glibc.read(fd, buffer.baseAddress, buffer.count)
        #else
            Darwin.read(fd, buffer.baseAddress, buffer.count)
        #endif
    }

    /// The fcntl commands of the run lock. Linux: open-file-description locks (F_OFD_GETLK,
    /// F_OFD_SETLK from <fcntl.h> with _GNU_SOURCE, which the Glibc module does not export): a
    /// probe from the same process sees them, and closing another descriptor does not drop them.
    /// macOS: classic record locks, which lack both properties.
    #if os(Linux)
        package static let getLock: Int32 = 36
        package static let setLock: Int32 = 37
    #else
        package static let getLock: Int32 = F_GETLK
        package static let setLock: Int32 = F_SETLK
    #endif

    /// The terminal's width in columns, if `fd` is one.
    package static func terminalColumns(_ fd: Int32) -> Int? {
        var size = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
