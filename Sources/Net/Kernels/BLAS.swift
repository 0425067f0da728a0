import CDNNL
import Foundation

/// Row-major single-precision matrix products through oneDNN's sgemm, whose JIT kernels follow
/// the CPU's feature flags (AVX2, AVX-512, ...) rather than a list of known CPU models.
public enum BLAS {
    /// C[m, n] = alpha * A[m, k] * B[k, n] + beta * C, with explicit leading dimensions
    /// so that C can be a block of rows inside a larger `[C, H, W]` buffer.
    @inline(__always)
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, transposeA: Bool = false,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        let status = dnnl_sgemm(transposeA ? 84 : 78, transposeB ? 84 : 78,  // "T" or "N"
                                Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb),
                                beta, c, Int64(ldc))
        DNNL.check(status, "sgemm \(m)x\(n)x\(k)")
    }

    /// Runs `body` with oneDNN's products on the calling thread alone: for loops that are
    /// already parallel, where each product is one task and must not ask for a team of its own.
    @inline(__always)
    public static func singleThreaded<R>(_ body: () -> R) -> R {
        let previous = omp_get_max_threads()
        omp_set_num_threads(1)
        defer { omp_set_num_threads(previous) }
        return body()
    }

    /// Threads oneDNN runs one product on: OpenMP's, all cores unless OMP_NUM_THREADS says otherwise.
    public static var threads: Int {
        ProcessInfo.processInfo.environment["OMP_NUM_THREADS"].flatMap { Int($0) }
            ?? ProcessInfo.processInfo.activeProcessorCount
    }
}
