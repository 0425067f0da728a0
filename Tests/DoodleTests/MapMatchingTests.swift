import XCTest
import Doodle

/// `doodle map match`: a target map drawn with other colours gets the style map's back.
final class MapMatchingTests: XCTestCase {
    /// Four regions of different places and sizes.
    static func layout(_ colours: [[Float]], width: Int = 64, height: Int = 48) -> Image {
        Image(width: width, height: height, channels: 3) { c, x, y in
            let region: Int
            if y < height / 3 { region = 0 }                 // sky: a wide band on top
            else if x < width / 4 { region = 1 }             // a narrow strip on the left
            else if y > height * 3 / 4 { region = 2 }        // ground along the bottom
            else { region = 3 }                              // the middle
            return colours[region][c]
        }
    }

    static let styleColours: [[Float]] = [[255, 255, 255], [0, 255, 0], [255, 0, 0], [0, 0, 255]]
    /// The same classes in a permuted, unrelated palette.
    static let targetColours: [[Float]] = [[255, 255, 0], [128, 0, 128], [0, 255, 255], [255, 128, 0]]

    func testLayoutRecoversAKnownPermutation() throws {
        let style = Self.layout(Self.styleColours)
        // The target is a slightly different drawing of the same scene (other proportions).
        let target = Self.layout(Self.targetColours, width: 80, height: 48)
        let (image, pairs) = try MapMatching.match(style: style, target: target, names: ("style.png", "target.png"))
        XCTAssertTrue(image == Self.layout(Self.styleColours, width: 80, height: 48), "the recoloured map is the style's palette on the target's layout")
        XCTAssertEqual(pairs.count, 4)
        for pair in pairs {
            let k = Self.targetColours.firstIndex(of: pair.target.colour)!
            XCTAssertEqual(pair.style.colour, Self.styleColours[k])
        }
    }

    /// Region looks decide when images are given: two regions of equal layout told apart by colour.
    func testImagesPairRegionsByTheirLooks() throws {
        let (w, h) = (40, 20)
        let halves = { (left: [Float], right: [Float]) in
            Image(width: w, height: h, channels: 3) { c, x, _ in x < w / 2 ? left[c] : right[c] }
        }
        let styleMap = halves([255, 0, 0], [0, 0, 255]), targetMap = halves([0, 255, 0], [255, 255, 0])
        // The style's left half is dark, its right bright; the target's the other way round.
        let styleImage = halves([30, 30, 30], [230, 230, 230]), targetImage = halves([220, 220, 220], [20, 20, 20])
        let (image, _) = try MapMatching.match(style: styleMap, target: targetMap, styleImage: styleImage, targetImage: targetImage,
                                               names: ("s", "t"))
        XCTAssertEqual((0..<3).map { image[$0, 5, 5] }, [0, 0, 255], "the bright left takes the style's bright class")
        XCTAssertEqual((0..<3).map { image[$0, 35, 5] }, [255, 0, 0])
        // Explicit pairs win over both.
        let (given, _) = try MapMatching.match(style: styleMap, target: targetMap, styleImage: styleImage, targetImage: targetImage,
                                               explicit: try MapMatching.parsePairs("#00ff00=#ff0000"), names: ("s", "t"))
        XCTAssertEqual((0..<3).map { given[$0, 5, 5] }, [255, 0, 0])
        XCTAssertEqual((0..<3).map { given[$0, 35, 5] }, [0, 0, 255])
        XCTAssertThrowsError(try MapMatching.parsePairs("#00ff00")) { XCTAssertTrue("\($0)".contains("TARGET=STYLE"), "\($0)") }
        XCTAssertThrowsError(try MapMatching.match(style: styleMap, target: targetMap, explicit: try MapMatching.parsePairs("#123456=#ff0000"),
                                                   names: ("s", "t"))) { XCTAssertTrue("\($0)".contains("#123456 is not a class of 't'"), "\($0)") }
    }
}
