import XCTest
import Doodle

final class LBFGSBTests: XCTestCase {
    /// The extended Rosenbrock function in `x.count` dimensions, minimum 0 at all ones.
    private func rosenbrock(_ x: [Float], _ grad: inout [Float]) -> Float {
        let xd = x.map(Double.init)
        var f = 0.0
        var g = [Double](repeating: 0, count: xd.count)
        for i in 0..<(xd.count - 1) {
            let a = xd[i + 1] - xd[i] * xd[i]
            let b = 1 - xd[i]
            f += 100 * a * a + b * b
            g[i] += -400 * xd[i] * a - 2 * b
            g[i + 1] += 200 * a
        }
        for i in 0..<g.count { grad[i] = Float(g[i]) }
        return Float(f)
    }

    /// sum (x_i - c_i)^2 with the centres c_i given.
    private func quadratic(_ centres: [Float]) -> ([Float], inout [Float]) -> Float? {
        return { x, grad in
            var f: Float = 0
            for i in 0..<x.count {
                let d = x[i] - centres[i]
                f += d * d
                grad[i] = 2 * d
            }
            return f
        }
    }

    func testRosenbrockConvergesToOnes() {
        let n = 10
        let minimizer = LBFGSBMinimizer(count: n, lower: -10, upper: 10,
                                        options: LBFGSBOptions(historySize: 5, maxEvaluations: 1000))
        var x = (0..<n).map { Float($0 % 2 == 0 ? -1.2 : 1.0) }
        let result = minimizer.minimize(x: &x) { rosenbrock($0, &$1) }
        for (i, xi) in x.enumerated() {
            XCTAssertEqual(xi, 1, accuracy: 1e-3, "x[\(i)] after \(result.evaluations) evaluations, stop \(result.stop)")
        }
        XCTAssertLessThan(result.bestValue, 1e-6)
        guard case .converged = result.stop else {
            return XCTFail("should stop by its own test, stopped with \(result.stop) after \(result.evaluations)")
        }
        var grad = [Float](repeating: 0, count: n)
        XCTAssertEqual(rosenbrock(x, &grad), result.bestValue, "x must be the point whose value is reported")
    }

    func testUnboundedRosenbrockConverges() {
        let n = 10
        let minimizer = LBFGSBMinimizer(count: n, options: LBFGSBOptions(maxEvaluations: 1000))
        var x = [Float](repeating: -1, count: n)
        let result = minimizer.minimize(x: &x) { rosenbrock($0, &$1) }
        for xi in x { XCTAssertEqual(xi, 1, accuracy: 1e-3, "stop \(result.stop)") }
    }

    func testBoundedQuadraticEndsExactlyAtBounds() {
        // Centres outside [0, 255] on both sides, and some inside.
        let centres: [Float] = [-40, 300, 1000, -0.5, 17, 128, 254.5, 255.5]
        let minimizer = LBFGSBMinimizer(count: centres.count, lower: 0, upper: 255)
        var x = [Float](repeating: 100, count: centres.count)
        let result = minimizer.minimize(x: &x, evaluate: quadratic(centres))
        guard case .converged = result.stop else {
            return XCTFail("expected convergence, got \(result.stop)")
        }
        XCTAssertEqual(x[0], 0)
        XCTAssertEqual(x[1], 255)
        XCTAssertEqual(x[2], 255)
        XCTAssertEqual(x[3], 0)
        XCTAssertEqual(x[4], 17, accuracy: 1e-3)
        XCTAssertEqual(x[5], 128, accuracy: 1e-3)
        XCTAssertEqual(x[6], 254.5, accuracy: 1e-3)
        XCTAssertEqual(x[7], 255)
        let expected: Float = 1600 + 2025 + 555_025 + 0.25 + 0.25 // distances 40, 45, 745, 0.5, 0.5
        XCTAssertEqual(result.bestValue, expected, accuracy: 0.1)
    }

    func testStartOutsideBoundsIsProjected() {
        let minimizer = LBFGSBMinimizer(count: 3, lower: 0, upper: 255)
        var x: [Float] = [-50, 400, 10]
        var firstPoint: [Float]?
        _ = minimizer.minimize(x: &x) { point, grad in
            if firstPoint == nil { firstPoint = point }
            return self.quadratic([5, 5, 5])(point, &grad)
        }
        XCTAssertEqual(firstPoint, [0, 255, 10])
        for xi in x { XCTAssertEqual(xi, 5, accuracy: 1e-3) }
    }

    func testEvaluationLimitIsExact() {
        for limit in [1, 2, 3, 7, 20] {
            let n = 10
            var options = LBFGSBOptions(maxEvaluations: limit)
            options.factr = 0
            let minimizer = LBFGSBMinimizer(count: n, lower: -10, upper: 10, options: options)
            var x = [Float](repeating: -1.2, count: n)
            var calls = 0
            var bestSeen = Float.infinity
            let result = minimizer.minimize(x: &x) { point, grad in
                calls += 1
                let f = rosenbrock(point, &grad)
                bestSeen = min(bestSeen, f)
                return f
            }
            XCTAssertEqual(result.stop, .evaluationLimit, "limit \(limit)")
            XCTAssertEqual(calls, limit, "limit \(limit)")
            XCTAssertEqual(result.evaluations, limit, "limit \(limit)")
            XCTAssertEqual(result.bestValue, bestSeen, "limit \(limit)")
            var grad = [Float](repeating: 0, count: n)
            XCTAssertEqual(rosenbrock(x, &grad), bestSeen, "x is the best point, limit \(limit)")
        }
    }

    func testCancelStopsAtOnce() {
        let n = 10
        let minimizer = LBFGSBMinimizer(count: n, lower: -10, upper: 10)
        var x = [Float](repeating: -1.2, count: n)
        var calls = 0
        var values: [Float] = []
        let result = minimizer.minimize(x: &x) { point, grad in
            calls += 1
            if calls == 4 { return nil }
            let f = rosenbrock(point, &grad)
            values.append(f)
            return f
        }
        XCTAssertEqual(result.stop, .cancelled)
        XCTAssertEqual(calls, 4, "no call after the cancelling one")
        XCTAssertEqual(result.evaluations, 3)
        XCTAssertEqual(result.bestValue, values.min())
        var grad = [Float](repeating: 0, count: n)
        XCTAssertEqual(rosenbrock(x, &grad), values.min())
    }

    func testCancelOnFirstCallLeavesXUnchanged() {
        let minimizer = LBFGSBMinimizer(count: 4, lower: 0, upper: 255)
        var x: [Float] = [1, 2, 3, 4]
        let result = minimizer.minimize(x: &x) { _, _ in nil }
        XCTAssertEqual(result.stop, .cancelled)
        XCTAssertEqual(result.evaluations, 0)
        XCTAssertEqual(result.bestValue, .infinity)
        XCTAssertEqual(x, [1, 2, 3, 4])
    }

    func testNonFiniteObjectiveIsAbnormal() {
        let minimizer = LBFGSBMinimizer(count: 2, lower: 0, upper: 255)
        var x: [Float] = [1, 2]
        var calls = 0
        let result = minimizer.minimize(x: &x) { point, grad in
            calls += 1
            grad = [1, 1]
            return calls == 1 ? 10 : .nan
        }
        guard case .abnormal(let message) = result.stop else {
            return XCTFail("expected abnormal, got \(result.stop)")
        }
        XCTAssertTrue(message.contains("nan"), message)
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(result.bestValue, 10)
        XCTAssertEqual(x, [1, 2])
    }

    func testSecondMinimizeOnSameObjectWorks() {
        let n = 10
        let minimizer = LBFGSBMinimizer(count: n, lower: -10, upper: 10,
                                        options: LBFGSBOptions(maxEvaluations: 1000))
        var x1 = [Float](repeating: -1.2, count: n)
        let first = minimizer.minimize(x: &x1) { rosenbrock($0, &$1) }
        // Interrupt a second run half-way, then run a third to the end: no state may leak.
        var x2 = [Float](repeating: 3, count: n)
        minimizer.options.maxEvaluations = 5
        let second = minimizer.minimize(x: &x2) { rosenbrock($0, &$1) }
        XCTAssertEqual(second.stop, .evaluationLimit)
        XCTAssertEqual(second.evaluations, 5)
        minimizer.options.maxEvaluations = 1000
        minimizer.options.historySize = 8 // grows the work array
        var x3 = [Float](repeating: -1.2, count: n)
        let third = minimizer.minimize(x: &x3) { rosenbrock($0, &$1) }
        for xi in x3 { XCTAssertEqual(xi, 1, accuracy: 1e-3, "third run, stop \(third.stop)") }
        // The same problem from the same start with the same options gives the same run.
        minimizer.options.historySize = 5
        var x4 = [Float](repeating: -1.2, count: n)
        let fourth = minimizer.minimize(x: &x4) { rosenbrock($0, &$1) }
        XCTAssertEqual(fourth.evaluations, first.evaluations)
        XCTAssertEqual(fourth.stop, first.stop)
        XCTAssertEqual(x4, x1)
    }

    func testImageSizedProblem() {
        // 512x384x3 pixels: one cheap quadratic, pulled towards a pattern partly outside [0, 255].
        let n = 512 * 384 * 3
        let centres = (0..<n).map { Float(($0 * 37) % 400) - 50 }
        let minimizer = LBFGSBMinimizer(count: n, lower: 0, upper: 255,
                                        options: LBFGSBOptions(maxEvaluations: 30))
        var x = [Float](repeating: 128, count: n)
        let result = minimizer.minimize(x: &x) { point, grad in
            var f: Float = 0
            for i in 0..<n {
                let d = point[i] - centres[i]
                f += d * d
                grad[i] = 2 * d
            }
            return f
        }
        XCTAssertLessThanOrEqual(result.evaluations, 30)
        var maxError: Float = 0
        for i in 0..<n { maxError = max(maxError, abs(x[i] - min(max(centres[i], 0), 255))) }
        XCTAssertLessThan(maxError, 1e-2, "stop \(result.stop) after \(result.evaluations)")
    }
}
