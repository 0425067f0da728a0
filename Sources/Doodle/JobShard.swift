import Foundation
import Net

/// A share of a job file's jobs for one of N processes: `doodle run FILE --shard K/N`.
///
/// A job belongs to shard `hash(name) mod N + 1`, the hash being the first 8 bytes of the
/// SHA-256 of its name: the same on every machine and build, and a job keeps its shard when
/// other jobs are added or removed (the shares are as even as the hash makes them, not exact).
public struct JobShard: Sendable, Equatable, CustomStringConvertible {
    /// 1...count.
    public let index: Int
    public let count: Int
    /// Where the share came from, for the line that says which one this process took:
    /// `--shard`, or the scheduler's variables as set.
    public let origin: String

    public init(index: Int, count: Int, origin: String) {
        self.index = index
        self.count = count
        self.origin = origin
    }

    public var description: String { "\(index)/\(count)" }

    public func contains(_ jobName: String) -> Bool {
        Self.shard(of: jobName, count: count) == index
    }

    /// The 1-based shard of `jobName` among `count`.
    public static func shard(of jobName: String, count: Int) -> Int {
        var sha = SHA256()
        sha.update(Array(jobName.utf8))
        let hash = sha.finalize().prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int(hash % UInt64(count)) + 1
    }

    /// `K/N` as given to `--shard` (`origin` names where it was written).
    public static func parse(_ text: String, origin: String = "--shard") throws -> JobShard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw JobError("\(origin) '\(text)': give K/N, e.g. 1/2 and 2/2 for the two halves")
        }
        guard n >= 1 else { throw JobError("\(origin) '\(text)': N must be at least 1") }
        guard (1...n).contains(k) else {
            throw JobError("\(origin) '\(text)': K counts from 1 to N (\(n)); e.g. 1/\(n) ... \(n)/\(n)")
        }
        return JobShard(index: k, count: n, origin: origin)
    }

    /// The share a scheduler gave this process, from its variables; nil when none is set.
    /// Slurm job arrays: `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT` or
    /// `SLURM_ARRAY_TASK_MIN`/`MAX` (and `_STEP`): K = (id − min) / step + 1. Kubernetes Indexed
    /// Jobs: the 0-based `JOB_COMPLETION_INDEX` (K = index + 1), with N from `shards`
    /// (`--shards`) or `DOODLE_SHARDS`.
    public static func fromEnvironment(_ environment: [String: String], shards: Int? = nil) throws -> JobShard? {
        func number(_ name: String) throws -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw JobError("\(name)='\(text)' is not a whole number")
            }
            return value
        }
        if let id = try number("SLURM_ARRAY_TASK_ID") {
            let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let step = max(try number("SLURM_ARRAY_TASK_STEP") ?? 1, 1)
            var origin = "SLURM_ARRAY_TASK_ID=\(id)"
            if environment["SLURM_ARRAY_TASK_MIN"] != nil { origin += ", SLURM_ARRAY_TASK_MIN=\(minimum)" }
            let n: Int
            if let count = try number("SLURM_ARRAY_TASK_COUNT") {
                n = count
                origin += ", SLURM_ARRAY_TASK_COUNT=\(count)"
            } else if let maximum = try number("SLURM_ARRAY_TASK_MAX") {
                n = (maximum - minimum) / step + 1
                origin += ", SLURM_ARRAY_TASK_MAX=\(maximum)"
            } else {
                throw JobError("SLURM_ARRAY_TASK_ID is set without SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MAX: give --shard K/N")
            }
            if step > 1 { origin += ", SLURM_ARRAY_TASK_STEP=\(step)" }
            let k = (id - minimum) / step + 1
            guard n >= 1, (1...n).contains(k), (id - minimum) % step == 0 else {
                throw JobError("\(origin) gives shard \(k) of \(n), which does not exist: set SLURM_ARRAY_TASK_MIN or give --shard K/N")
            }
            return JobShard(index: k, count: n, origin: origin)
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            let origin = "JOB_COMPLETION_INDEX=\(index)"
            let n: Int
            if let shards {
                n = shards
            } else if let fromVariable = try number("DOODLE_SHARDS") {
                n = fromVariable
            } else {
                throw JobError("\(origin) is set: give the number of shards (the Job's completions) with --shards N or DOODLE_SHARDS")
            }
            guard n >= 1, (0..<n).contains(index) else {
                throw JobError("\(origin) with \(n) shard\(n == 1 ? "" : "s"): the index counts from 0 to \(n - 1)")
            }
            return JobShard(index: index + 1, count: n, origin: origin + ", shards \(n)")
        }
        return nil
    }
}
