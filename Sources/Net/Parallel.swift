import Dispatch

/// Runs `body(i)` for every `i` in `0..<count` on all cores, in at most `chunks` contiguous
/// ranges (few and large: each range is one task). The one parallel loop of doodle.
@inline(__always)
public func parallelFor(_ count: Int, chunks: Int = 8, _ body: (Int) -> Void) {
    parallelChunks(count, chunks: chunks) { _, range in for i in range { body(i) } }
}

/// Splits `0..<count` into at most `chunks` contiguous ranges of near-equal length and runs
/// `body(chunk, range)` for each on all cores; a single range runs on the calling thread.
@inline(__always)
public func parallelChunks(_ count: Int, chunks wanted: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let chunks = min(count, wanted)
    guard chunks >= 2 else {
        if count > 0 { body(0, 0..<count) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
        body(chunk, count * chunk / chunks ..< count * (chunk + 1) / chunks)
    }
}
