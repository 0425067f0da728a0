import Foundation

/// Adam (Kingma & Ba 2015), the first-order optimiser of the PyTorch style-transfer tutorials:
/// one step per evaluation, each variable moving by about `learningRate` scaled by its
/// gradient's running mean over its running root mean square, then clamped to the bounds.
/// The moments persist across `minimize` calls, so a run cut into pieces is one run.
public final class AdamMinimizer {
    public let count: Int
    public var learningRate: Float
    public let lower: Float, upper: Float
    private let beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
    private var m: [Float], v: [Float]
    private var steps = 0
    private var fixed: [(index: Int, value: Float)] = []

    public init(count: Int, lower: Float, upper: Float, learningRate: Float) {
        precondition(count > 0 && lower <= upper && learningRate > 0, "invalid Adam set-up")
        self.count = count
        self.lower = lower
        self.upper = upper
        self.learningRate = learningRate
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// Holds the variables at `indices` at `values`.
    public func fix(_ indices: [Int], at values: [Float]) {
        fixed += zip(indices, values).map { ($0, $1) }
    }

    /// Up to `maxEvaluations` evaluations, a step after each; leaves in `x` the best point
    /// evaluated. `evaluate` returns nil to stop at once.
    public func minimize(x: inout [Float], maxEvaluations: Int,
                         evaluate: (_ x: [Float], _ grad: inout [Float]) -> Float?) -> (evaluations: Int, bestValue: Float) {
        precondition(x.count == count, "x has \(x.count) elements, the minimiser was made for \(count)")
        var point = x
        for (i, value) in fixed { point[i] = value }
        var gradient = [Float](repeating: 0, count: count)
        var best = Float.infinity
        var evaluations = 0
        while evaluations < maxEvaluations {
            guard let f = evaluate(point, &gradient) else { break }
            evaluations += 1
            guard f.isFinite else { break }
            if f < best {
                best = f
                x = point
            }
            step(&point, gradient)
        }
        return (evaluations, best)
    }

    private func step(_ point: inout [Float], _ gradient: [Float]) {
        steps += 1
        let correction1 = 1 - pow(beta1, Float(steps)), correction2 = 1 - pow(beta2, Float(steps))
        let rate = learningRate * correction2.squareRoot() / correction1
        for i in 0..<count {
            let g = gradient[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            point[i] = min(max(point[i] - rate * m[i] / (v[i].squareRoot() + epsilon), lower), upper)
        }
        for (i, value) in fixed { point[i] = value }
    }
}
