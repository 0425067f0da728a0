import XCTest
import Doodle

/// `doodle map clean`: a flat map stays as it is, a planted speck goes, seams snap to a class.
final class MapCleaningTests: XCTestCase {
    static let red: [Float] = [255, 0, 0], blue: [Float] = [0, 0, 255], green: [Float] = [0, 255, 0]

    /// Left half red, right half blue, a green square in the middle of the red.
    static func map(width: Int = 60, height: Int = 40) -> Image {
        Image(width: width, height: height, channels: 3) { c, x, y in
            if (10..<20).contains(x) && (10..<20).contains(y) { return green[c] }
            return x < width / 2 ? red[c] : blue[c]
        }
    }

    func testAFlatMapIsLeftAsItIs() {
        let map = Self.map()
        let result = MapCleaning().clean(map, name: "flat.png")
        XCTAssertTrue(result.image == map, "the flat map changed")
        XCTAssertEqual(result.classes, 3)
        XCTAssertEqual(result.changedPixels, 0)
        XCTAssertEqual(result.mergedRegions, 0)
    }

    /// A 3x3 blue speck in the red and a 2x2 green one in the blue: the 2x2 one has no flat pixel
    /// of its own, so the detector already joins it to the blue around it (a seam); the 3x3 one
    /// is a region of a real class, under the minimum, and merges. The 10x10 green square stays.
    func testPlantedSpecksJoinTheClassAroundThem() {
        var map = Self.map()
        for y in 25..<28 { for x in 5..<8 { for c in 0..<3 { map[c, x, y] = Self.blue[c] } } }
        for y in 30..<32 { for x in 45..<47 { for c in 0..<3 { map[c, x, y] = Self.green[c] } } }
        let result = MapCleaning(minimumRegion: 32).clean(map, name: "speck.png")
        XCTAssertTrue(result.image == Self.map(), "specks left")
        XCTAssertEqual(result.classes, 3)
        XCTAssertEqual(result.mergedRegions, 1)
        XCTAssertEqual(result.mergedPixels, 9)
        XCTAssertEqual(result.changedPixels, 13)
        // With a minimum of 1 the 3x3 speck is a region like any other and stays.
        let kept = MapCleaning(minimumRegion: 1).clean(map, name: "speck.png")
        XCTAssertEqual((0..<3).map { kept.image[$0, 6, 26] }, Self.blue)
        XCTAssertEqual((0..<3).map { kept.image[$0, 45, 30] }, Self.blue)
        XCTAssertEqual(kept.mergedRegions, 0)
    }

    /// An anti-aliased red/blue border (two columns of blends) snaps to the two classes.
    func testAntialiasedSeamsSnapToAClass() {
        let (w, h) = (60, 40)
        let map = Image(width: w, height: h, channels: 3) { c, x, _ in
            switch x {
            case ..<29: return Self.red[c]
            case 29: return 0.7 * Self.red[c] + 0.3 * Self.blue[c]
            case 30: return 0.3 * Self.red[c] + 0.7 * Self.blue[c]
            default: return Self.blue[c]
            }
        }
        let result = MapCleaning().clean(map, name: "seam.png")
        XCTAssertEqual(result.classes, 2)
        XCTAssertEqual(result.changedPixels, 2 * h)
        for y in 0..<h {
            for x in 0..<w {
                let colour = (0..<3).map { result.image[$0, x, y] }
                XCTAssertTrue(colour == Self.red || colour == Self.blue, "(\(x), \(y)) is \(colour)")
            }
        }
        XCTAssertEqual((0..<3).map { result.image[$0, 28, 5] }, Self.red)
        XCTAssertEqual((0..<3).map { result.image[$0, 31, 5] }, Self.blue)
    }
}
