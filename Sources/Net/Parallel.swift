import CDNNL
import CKernels
import Synchronization

/// Runs `body(i)` for every `i` in `0..<count` on all cores, in at most `chunks` contiguous
/// ranges (few and large: each range is one task). The one parallel loop of doodle.
@inline(__always)
public func parallelFor(_ count: Int, chunks: Int = 8, _ body: (Int) -> Void) {
    parallelChunks(count, chunks: chunks) { _, range in for i in range { body(i) } }
}

/// Splits `0..<count` into at most `chunks` contiguous ranges of near-equal length and runs
/// `body(chunk, range)` for each on all cores; a single range runs on the calling thread.
///
/// The ranges run on OpenMP's team (libgomp), the threads oneDNN runs on. A second pool beside
/// it (Dispatch's) competed with OpenMP's threads, which spin for a while after each of
/// oneDNN's calls: on 2 cores a Winograd convolution took 67 ms that way and 34 ms on one pool
/// (`doodle bench kernels`). Threads take ranges as they finish, so a slow core does less.
/// Inside a range, a nested call runs on its own thread (OpenMP does not nest teams).
public func parallelChunks(_ count: Int, chunks wanted: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let chunks = min(count, wanted)
    guard chunks >= 2 else {
        if count > 0 { body(0, 0..<count) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let job = ParallelJob(count: count, chunks: chunks, body: body)
        withExtendedLifetime(job) {
            GOMP_parallel({ raw in
                Unmanaged<ParallelJob>.fromOpaque(raw!).takeUnretainedValue().work()
            }, Unmanaged.passUnretained(job).toOpaque(), 0, 0)
        }
    }
}

/// One parallel loop: the ranges, and the next one to take.
private final class ParallelJob {
    let count: Int, chunks: Int
    let body: (Int, Range<Int>) -> Void
    let next = Atomic<Int>(0)

    init(count: Int, chunks: Int, body: @escaping (Int, Range<Int>) -> Void) {
        self.count = count
        self.chunks = chunks
        self.body = body
    }

    func work() {
        // OpenMP's workers run oneDNN's JIT kernels: keep asynchronous signals off them (the
        // calling thread decides for itself, see `ComputeThread`).
        if omp_get_thread_num() != 0 { doodle_shield_compute_thread() }
        while true {
            let chunk = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard chunk < chunks else { return }
            body(chunk, count * chunk / chunks ..< count * (chunk + 1) / chunks)
        }
    }
}

/// The thread a render computes on.
public enum ComputeThread {
    /// Keeps SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH off the calling thread, for good.
    /// oneDNN's JIT kernels may use the stack pointer as they like, and a signal handler that
    /// runs on a thread inside one writes its frame wherever that points (a render stopped by
    /// Ctrl-C corrupted the heap, 1 run in 8). Call it only where another thread takes those
    /// signals: Dispatch's, once a signal source exists, or the terminal UI's.
    public static func shieldFromSignals() { doodle_shield_compute_thread() }
}
