import CLBFGSB

/// Settings for `LBFGSBMinimizer`.
public struct LBFGSBOptions: Sendable, Equatable {
    /// Number of correction pairs L-BFGS-B keeps (its `m`). The work array grows by `2n`
    /// doubles per pair, so keep this small for image-sized problems.
    public var historySize: Int = 5
    /// Maximum number of objective evaluations (calls of `evaluate` that return a value).
    /// This, not the iteration count, bounds the cost: each evaluation is a network pass.
    public var maxEvaluations: Int = 100
    /// Stop when the relative reduction of f over one iteration is at most
    /// `factr * machine epsilon` (about 2.2e-9 at the default 1e7, still below the noise of a
    /// float32 objective). 0 disables the test, as neural-doodle does (it always spends its
    /// whole evaluation budget).
    public var factr: Double = 1e7
    /// Stop when the largest component of the projected gradient is at most `pgtol`.
    /// It is an absolute threshold, so it depends on the scale of the loss; 0 disables it.
    public var pgtol: Double = 0

    public init(historySize: Int = 5, maxEvaluations: Int = 100, factr: Double = 1e7, pgtol: Double = 0) {
        self.historySize = historySize
        self.maxEvaluations = maxEvaluations
        self.factr = factr
        self.pgtol = pgtol
    }
}

/// Why `LBFGSBMinimizer.minimize` stopped. In every case `x` holds the best point evaluated.
public enum LBFGSBStop: Sendable, Equatable {
    /// L-BFGS-B's own convergence test passed; the message is its task string,
    /// e.g. "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH".
    case converged(String)
    /// `maxEvaluations` evaluations were spent.
    case evaluationLimit
    /// `evaluate` returned nil.
    case cancelled
    /// L-BFGS-B gave up (typically "ABNORMAL_TERMINATION_IN_LNSRCH" when float32 noise stops
    /// the line search from making progress), reported an input error, or the objective or
    /// gradient was not finite. The best point so far is still returned and usually usable.
    case abnormal(String)
}

/// Bound-constrained minimisation with the Fortran L-BFGS-B 3.0 (Debian's liblbfgsb).
///
/// The variables are float32 on the caller's side (pixels, for which the network computes
/// float32 losses and gradients) and double inside L-BFGS-B. Every variable has the same
/// bounds, except those `fix` pins. The object owns all work storage (about `(2m+5)n` doubles,
/// 72 MB for a 512x384x3 image with m = 5) and reuses it across `minimize` calls. Not
/// thread-safe: one `minimize` at a time per object.
public final class LBFGSBMinimizer {
    /// The number of variables.
    public let count: Int
    public let lower: Double
    public let upper: Double
    /// May be changed between `minimize` calls; a larger `historySize` grows the work array.
    public var options: LBFGSBOptions

    private let storage: Storage
    /// Float32 copies of the point being evaluated and its gradient, handed to `evaluate`.
    private var xFloat: [Float]
    private var gFloat: [Float]
    private var running = false

    /// - Parameters:
    ///   - n: the number of variables.
    ///   - lower, upper: bounds applied to every variable; pass `-.infinity` / `.infinity`
    ///     for none.
    public init(count n: Int, lower: Double = -.infinity, upper: Double = .infinity,
                options: LBFGSBOptions = LBFGSBOptions()) {
        precondition(n > 0, "L-BFGS-B needs at least one variable")
        precondition(n <= Int(Int32.max) / 3, "too many variables for L-BFGS-B's 32-bit indices")
        precondition(!lower.isNaN && !upper.isNaN && lower <= upper, "invalid bounds [\(lower), \(upper)]")
        self.count = n
        self.lower = lower
        self.upper = upper
        self.options = options
        self.storage = Storage(count: n, lower: lower, upper: upper)
        self.xFloat = [Float](repeating: 0, count: n)
        self.gFloat = [Float](repeating: 0, count: n)
    }

    /// Holds the variables at `indices` at `values` (both bounds set to the value) in every
    /// later `minimize`: pixels a mask keeps as they are.
    public func fix(_ indices: [Int], at values: [Float]) {
        precondition(indices.count == values.count, "one value per fixed variable")
        for (i, v) in zip(indices, values) { storage.fix(i, at: Double(v)) }
    }

    /// Minimises the objective starting from `x`, and leaves in `x` the best point evaluated
    /// (unchanged if no evaluation completed).
    ///
    /// - Parameter evaluate: computes f at `x` and writes the gradient into `grad`
    ///   (which has `count` elements; overwrite all of them, and do not resize it). Return nil
    ///   to cancel: the minimiser then stops without calling L-BFGS-B again.
    /// - Returns: why it stopped, how many evaluations returned a value, and the smallest f
    ///   seen (`.infinity` if none).
    public func minimize(
        x: inout [Float],
        evaluate: (_ x: [Float], _ grad: inout [Float]) -> Float?
    ) -> (stop: LBFGSBStop, evaluations: Int, bestValue: Float) {
        precondition(x.count == count, "x has \(x.count) elements, the minimiser was made for \(count)")
        precondition(!running, "minimize called again from inside evaluate: one run at a time per minimiser")
        running = true
        defer { running = false }
        let options = self.options
        precondition(options.historySize >= 1, "historySize must be at least 1")
        precondition(options.maxEvaluations >= 1, "maxEvaluations must be at least 1")
        storage.prepare(history: options.historySize)

        // Take the float buffers out of self for the duration, so that handing them to
        // `evaluate` (and writing them afterwards) never copies them.
        var xf = xFloat, gf = gFloat
        xFloat = []; gFloat = []
        defer { xFloat = xf; gFloat = gf }

        storage.load(x)
        storage.setTask("START")
        var evaluations = 0
        var best = Float.infinity

        while true {
            storage.step(options: options)
            let task = storage.task()

            if task.hasPrefix("FG") {
                if evaluations >= options.maxEvaluations {
                    return (.evaluationLimit, evaluations, best)
                }
                storage.store(into: &xf)
                guard let f = evaluate(xf, &gf) else {
                    return (.cancelled, evaluations, best)
                }
                precondition(gf.count == count, "evaluate resized the gradient to \(gf.count) elements")
                evaluations += 1
                guard f.isFinite else {
                    return (.abnormal("objective is \(f) after \(evaluations) evaluations"), evaluations, best)
                }
                if f < best {
                    best = f
                    Storage.copy(xf, into: &x)
                }
                guard storage.setObjective(f, gradient: gf) else {
                    return (.abnormal("gradient is not finite after \(evaluations) evaluations"), evaluations, best)
                }
            } else if task.hasPrefix("NEW_X") {
                // One iteration done. Stop here rather than let L-BFGS-B ask for an
                // evaluation we would refuse.
                if evaluations >= options.maxEvaluations {
                    return (.evaluationLimit, evaluations, best)
                }
            } else if task.hasPrefix("CONV") {
                return (.converged(task), evaluations, best)
            } else {
                // "ABNORMAL_TERMINATION_IN_LNSRCH", "ERROR: ...", "WARNING: ..." or anything
                // unexpected.
                return (.abnormal(task), evaluations, best)
            }
        }
    }
}

/// The arrays `setulb_` works on, allocated once and owned by the minimiser. All pointer use
/// of this file is here, in small functions.
private final class Storage {
    static let taskLength = 60

    let n: Int
    /// The history size `wa` has room for.
    var capacity = 0
    let x: UnsafeMutableBufferPointer<Double>
    let g: UnsafeMutableBufferPointer<Double>
    let l: UnsafeMutableBufferPointer<Double>
    let u: UnsafeMutableBufferPointer<Double>
    let nbd: UnsafeMutableBufferPointer<Int32>
    let iwa: UnsafeMutableBufferPointer<Int32>
    var wa = UnsafeMutableBufferPointer<Double>(start: nil, count: 0)
    let taskBuffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: taskLength)
    let csave = UnsafeMutableBufferPointer<CChar>.allocate(capacity: taskLength)
    let lsave = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 4)
    let isave = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 44)
    let dsave = UnsafeMutableBufferPointer<Double>.allocate(capacity: 29)
    var f: Double = 0

    init(count n: Int, lower: Double, upper: Double) {
        self.n = n
        x = .allocate(capacity: n); x.initialize(repeating: 0)
        g = .allocate(capacity: n); g.initialize(repeating: 0)
        l = .allocate(capacity: n); l.initialize(repeating: lower.isFinite ? lower : 0)
        u = .allocate(capacity: n); u.initialize(repeating: upper.isFinite ? upper : 0)
        // nbd: 0 unbounded, 1 lower only, 2 both, 3 upper only.
        let kind: Int32
        switch (lower.isFinite, upper.isFinite) {
        case (false, false): kind = 0
        case (true, false): kind = 1
        case (true, true): kind = 2
        case (false, true): kind = 3
        }
        nbd = .allocate(capacity: n); nbd.initialize(repeating: kind)
        iwa = .allocate(capacity: 3 * n); iwa.initialize(repeating: 0)
        for buffer in [taskBuffer, csave] { buffer.initialize(repeating: 0x20) }
        lsave.initialize(repeating: 0)
        isave.initialize(repeating: 0)
        dsave.initialize(repeating: 0)
    }

    func fix(_ i: Int, at value: Double) {
        l[i] = value
        u[i] = value
        nbd[i] = 2
    }

    deinit {
        for buffer in [x, g, l, u, dsave, wa] { buffer.deallocate() }
        for buffer in [nbd, iwa, lsave, isave] { buffer.deallocate() }
        for buffer in [taskBuffer, csave] { buffer.deallocate() }
    }

    /// Makes sure `wa` holds `(2m+5)n + 11m^2 + 8m` doubles for history size m.
    func prepare(history m: Int) {
        guard m > capacity else { return }
        let size = (2 * m + 5) * n + 11 * m * m + 8 * m
        wa.deallocate()
        wa = .allocate(capacity: size)
        wa.initialize(repeating: 0)
        capacity = m
    }

    /// Writes `text` blank-padded into the CHARACTER*60 task argument.
    func setTask(_ text: String) {
        taskBuffer.initialize(repeating: 0x20)
        for (i, byte) in text.utf8.prefix(Self.taskLength).enumerated() {
            taskBuffer[i] = CChar(bitPattern: byte)
        }
    }

    /// The task string with its blank padding removed.
    func task() -> String {
        var bytes = taskBuffer.map { UInt8(bitPattern: $0) }
        while let last = bytes.last, last == 0x20 || last == 0 { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    func load(_ values: [Float]) {
        for i in 0..<n { x[i] = Double(values[i]) }
    }

    func store(into values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { out in
            for i in 0..<n { out[i] = Float(x[i]) }
        }
    }

    static func copy(_ source: [Float], into destination: inout [Float]) {
        destination.withUnsafeMutableBufferPointer { out in
            source.withUnsafeBufferPointer { src in
                out.baseAddress!.update(from: src.baseAddress!, count: src.count)
            }
        }
    }

    /// Hands f and the gradient to L-BFGS-B; false if the gradient has a NaN or infinity.
    func setObjective(_ value: Float, gradient: [Float]) -> Bool {
        f = Double(value)
        var finite = true
        gradient.withUnsafeBufferPointer { src in
            for i in 0..<n {
                let gi = src[i]
                finite = finite && gi.isFinite
                g[i] = Double(gi)
            }
        }
        return finite
    }

    /// One reverse-communication call of `setulb_`.
    func step(options: LBFGSBOptions) {
        var n32 = Int32(n)
        var m32 = Int32(options.historySize)
        var factr = options.factr
        var pgtol = options.pgtol
        var iprint: Int32 = -1
        let length = Self.taskLength
        setulb_(&n32, &m32, x.baseAddress, l.baseAddress, u.baseAddress, nbd.baseAddress,
                &f, g.baseAddress, &factr, &pgtol, wa.baseAddress, iwa.baseAddress,
                taskBuffer.baseAddress, &iprint, csave.baseAddress, lsave.baseAddress,
                isave.baseAddress, dsave.baseAddress, length, length)
    }
}
