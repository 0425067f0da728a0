import Dispatch
import Foundation

/// `OUT.png.lock`: the claim of one process on an output while it renders it, so that two
/// processes sharing a folder (overlapping shards, a retried task) never render one job twice.
///
/// The file is created exclusively (`O_EXCL`, which NFS honours too) and holds the process id,
/// the host and the time. A lock left by a process that died is taken over: on the same host
/// when its process is gone, on any host when its file has not been touched for `staleAfter`
/// seconds (a live holder touches it every `heartbeat` seconds).
public final class OutputLock: @unchecked Sendable {
    public static let heartbeat: Double = 30
    public static let staleAfter: Double = 300

    public let path: String
    private var timer: DispatchSourceTimer?
    private var released = false

    private init(path: String) {
        self.path = path
    }

    /// `OUT.png.lock`.
    public static func path(for output: String) -> String { output + ".lock" }

    /// Who holds a lock, as its file says: "pid 1234 on host-a since 2026-12-03 01:02:03".
    public struct Holder: Sendable, CustomStringConvertible {
        public let pid: Int32
        public let host: String
        public let since: String
        public var description: String { "pid \(pid) on \(host) since \(since)" }
    }

    public enum Outcome {
        case acquired(OutputLock)
        case held(by: Holder)
    }

    /// Claims `output`. Throws when the lock file cannot be created for another reason than
    /// an existing claim (the folder is not writable: the render would fail anyway).
    public static func acquire(for output: String) throws -> Outcome {
        let path = path(for: output)
        for _ in 0..<3 {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let text = "\(getpid()) \(hostName()) \(timestamp())\n"
                _ = text.withCString { write(fd, $0, strlen($0)) }
                close(fd)
                let lock = OutputLock(path: path)
                lock.startHeartbeat()
                return .acquired(lock)
            }
            guard errno == EEXIST else {
                throw JobError("cannot create '\(path)': \(String(cString: strerror(errno)))", key: .output)
            }
            guard let holder = holder(of: path) else { continue }   // removed meanwhile: try again
            if isStale(path, holder) {
                unlink(path)
                continue
            }
            return .held(by: holder)
        }
        throw JobError("cannot claim '\(path)': other processes keep taking it", key: .output)
    }

    /// Removes the claim (once).
    public func release() {
        guard !released else { return }
        released = true
        timer?.cancel()
        timer = nil
        unlink(path)
    }

    deinit { timer?.cancel() }

    private func startHeartbeat() {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.schedule(deadline: .now() + Self.heartbeat, repeating: Self.heartbeat)
        let path = self.path
        timer.setEventHandler { _ = utime(path, nil) }
        timer.resume()
        self.timer = timer
    }

    /// Who renders `output` now: nil when nobody holds its lock or the lock is stale.
    public static func holder(for output: String) -> Holder? {
        let path = path(for: output)
        guard let holder = holder(of: path), !isStale(path, holder) else { return nil }
        return holder
    }

    static func holder(of path: String) -> Holder? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ", maxSplits: 2).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard parts.count == 3, let pid = Int32(parts[0]) else {
            return Holder(pid: 0, host: "an unknown host", since: "an unknown time")
        }
        return Holder(pid: pid, host: parts[1], since: parts[2])
    }

    /// A claim whose process is gone (same host) or that nobody touched for `staleAfter`.
    static func isStale(_ path: String, _ holder: Holder) -> Bool {
        if holder.host == hostName(), holder.pid > 0, kill(holder.pid, 0) != 0, errno == ESRCH { return true }
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) > staleAfter
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(cString: buffer)
        return name.isEmpty || name.contains(" ") ? "localhost" : name
    }

    private static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }
}
