import XCTest
import Doodle

/// `doodle map from-image` on a synthetic picture of known regions, with the real network.
final class MapFromImageTests: XCTestCase {
    /// 128x96: the top is calm light blue; the bottom left is orange; the bottom right has the
    /// top's mean colour but in fine stripes (a region only texture tells apart).
    static let size = (width: 128, height: 96)
    static func region(_ x: Int, _ y: Int) -> Int { y < 40 ? 0 : (x < 64 ? 1 : 2) }
    static func picture() -> Image {
        Image(width: size.width, height: size.height, channels: 3) { c, x, y in
            let blue: [Float] = [150, 190, 230]
            switch region(x, y) {
            case 0: return blue[c] + Float((x * 7 + y * 3) % 5) - 2
            case 1: return [230, 130, 40][c] + Float((x * 5 + y * 11) % 7) - 3
            default: return min(255, blue[c] + ((x / 2 + y / 2) % 2 == 0 ? 60 : -60))
            }
        }
    }

    func testKnownRegionsAreSeparatedExactly() throws {
        let network = try TestNetwork.shared()
        let result = MapFromImage(classes: 3, seed: 0).map(Self.picture(), network: network)
        XCTAssertEqual(result.classCount, 3)
        let map = result.map
        // Each region has one colour of the map, and the three are different.
        var colourOf: [Int: [Float]] = [:]
        var wrong = 0
        for y in 0..<Self.size.height {
            for x in 0..<Self.size.width {
                let colour = (0..<3).map { map[$0, x, y] }
                let r = Self.region(x, y)
                if colourOf[r] == nil { colourOf[r] = colour }
                if colourOf[r]! != colour { wrong += 1 }
            }
        }
        XCTAssertEqual(wrong, 0, "pixels whose class is not their region's")
        XCTAssertEqual(Set(colourOf.values.map { $0.map(Int.init) }).count, 3, "three regions, three classes")
        XCTAssertEqual(result.shares.map { ($0 * 1000).rounded() / 1000 }.sorted(), [0.292, 0.292, 0.417])
    }

    func testTheSameSeedGivesTheSameMapAndTheCountIsChosenByTheData() throws {
        let network = try TestNetwork.shared()
        let a = MapFromImage(seed: 3).map(Self.picture(), network: network)
        let b = MapFromImage(seed: 3).map(Self.picture(), network: network)
        XCTAssertTrue(a.map == b.map)
        XCTAssertEqual(a.classCount, 3, a.reason)
        XCTAssertTrue(a.reason.hasPrefix("chosen: one more class would "), a.reason)
    }
}
