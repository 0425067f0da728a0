import Foundation
import XCTest
import Net

/// The real VGG19, loaded once for the scoring tests; a missing weights file fails the test
/// with the fix.
enum TestNetwork {
    nonisolated(unsafe) private static var cached: VGG19?

    static func shared() throws -> VGG19 {
        if let network = cached { return network }
        let path = WeightStore().defaultWeightsPath
        guard FileManager.default.fileExists(atPath: path) else {
            XCTFail("weights missing at \(path): run scripts/setup")
            throw XCTSkip("no weights")
        }
        let network = VGG19(weights: try VGG19Weights.load(path: path))
        cached = network
        return network
    }
}
