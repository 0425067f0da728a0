import Foundation
import XCTest
import Doodle
import Net

/// `ContentScorer`: structure similarity, conv4_2 distance, Gram distance and the largest
/// copied piece, on synthetic images and the real weights at small sizes.
final class ContentScoreTests: XCTestCase {
    private func network() throws -> VGG19 { try TestNetwork.shared() }

    /// Deterministic noise in 0...1.
    private static func hash(_ x: Int, _ y: Int, _ c: Int) -> Float {
        var h = UInt64(x &* 73_856_093) ^ UInt64(y &* 19_349_663) ^ UInt64((c + 1) &* 83_492_791)
        h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Float(h % 1001) / 1000
    }

    /// A scene: a bright disc on a dark gradient, with fine noise.
    private static func scene(width: Int = 96, height: Int = 72) -> Image {
        Image(width: width, height: height, channels: 3) { c, x, y in
            let dx = Float(x - width / 3), dy = Float(y - height / 2)
            let disc: Float = dx * dx + dy * dy < Float(height * height) / 9 ? 150 : 0
            return min(255, 40 + Float(x) + disc + 20 * hash(x, y, c) - Float(c) * 10)
        }
    }

    /// A texture with no two places alike: noise over slow colour waves.
    private static func texture(width: Int = 96, height: Int = 72) -> Image {
        Image(width: width, height: height, channels: 3) { c, x, y in
            let wave = sin(Float(x) * 0.21 + Float(c)) * cos(Float(y) * 0.17 - Float(c))
            return 128 + 60 * wave + 60 * (hash(x, y, c) - 0.5)
        }
    }

    private static func mirrored(_ image: Image) -> Image {
        Image(width: image.width, height: image.height, channels: image.channels) { c, x, y in
            image.pixel(c: c, x: image.width - 1 - x, y: y)
        }
    }

    /// The image cut into `n` x `n` tiles, laid out in a scrambled order.
    private static func scrambled(_ image: Image, tiles n: Int) -> Image {
        let (tw, th) = (image.width / n, image.height / n)
        let order = (0..<(n * n)).map { ($0 * 7 + 3) % (n * n) }
        return Image(width: tw * n, height: th * n, channels: image.channels) { c, x, y in
            let source = order[(y / th) * n + x / tw]
            return image.pixel(c: c, x: (source % n) * tw + x % tw, y: (source / n) * th + y % th)
        }
    }

    func testStructureOfAnImageWithItselfIsOneAndLowerWhenMirrored() {
        let a = Self.scene()
        XCTAssertEqual(ContentScorer.structureSimilarity(a, a), 1, accuracy: 1e-9)
        let flipped = ContentScorer.structureSimilarity(a, Self.mirrored(a))
        let flat = ContentScorer.structureSimilarity(a, Image(width: 96, height: 72, channels: 3) { _, _, _ in 128 })
        // Blurred, flat parts of the scene agree with a flat image: it keeps some similarity.
        XCTAssertLessThan(flipped, 0.6)
        XCTAssertLessThan(flat, 0.8)
        // Brushwork is blurred away: fine noise added to the scene barely counts.
        let noisy = Image(width: 96, height: 72, channels: 3) { c, x, y in
            a.pixel(c: c, x: x, y: y) + 30 * (Self.hash(y, x, c) - 0.5)
        }
        XCTAssertGreaterThan(ContentScorer.structureSimilarity(a, noisy), 0.95)
    }

    func testContentAgainstItselfAndMirrored() throws {
        let net = try network()
        let a = Self.scene()
        let same = ContentScorer.score(output: a, content: a, network: net)
        XCTAssertEqual(same.structure, 1, accuracy: 1e-6)
        XCTAssertEqual(same.featureDistance, 0, accuracy: 1e-6)
        let flipped = ContentScorer.score(output: Self.mirrored(a), content: a, network: net)
        print(String(format: "mirrored scene: structure %.3f, conv4_2 distance %.3f", flipped.structure, flipped.featureDistance))
        XCTAssertLessThan(flipped.structure, 0.8)
        XCTAssertGreaterThan(flipped.featureDistance, 0.3)
        // The content is resampled to the result's size.
        let half = ContentScorer.score(output: a.resized(toWidth: 48, height: 36), content: a, network: net)
        XCTAssertGreaterThan(half.structure, 0.9)
    }

    func testStyleStatisticsIgnoreLayoutButNotTexture() throws {
        let net = try network()
        let style = Self.texture()
        let same = ContentScorer.styleStatistics(output: style, style: style, network: net)
        XCTAssertEqual(same.gramDistance, 0, accuracy: 1e-6)
        let rearranged = ContentScorer.styleStatistics(output: Self.scrambled(style, tiles: 3), style: style, network: net)
        let other = ContentScorer.styleStatistics(output: Self.scene(), style: style, network: net)
        print(String(format: "Gram distance: scrambled %.3f, another image %.3f", rearranged.gramDistance, other.gramDistance))
        XCTAssertLessThan(rearranged.gramDistance, 0.3)
        XCTAssertGreaterThan(other.gramDistance, 3 * rearranged.gramDistance)
    }

    func testLargestCopyOfTheStyleItselfAndOfItsTiles() throws {
        let net = try network()
        let style = Self.texture(width: 128, height: 96)
        let whole = ContentScorer.largestCopy(output: style, style: style, network: net)
        XCTAssertGreaterThan(whole.largestShare, 0.9)
        XCTAssertEqual(whole.offset.x, 0)
        XCTAssertEqual(whole.offset.y, 0)
        let tiles = ContentScorer.largestCopy(output: Self.scrambled(style, tiles: 4), style: style, network: net)
        print(String(format: "largest copy: whole %.3f, 4x4 tiles %.3f", whole.largestShare, tiles.largestShare))
        XCTAssertLessThan(tiles.largestShare, 0.12)
        XCTAssertGreaterThan(tiles.largestShare, 0.01)
    }

    func testReportJSONKeepsTheDoodleKeysAtTheTop() throws {
        let report = ScoreReport(doodle: nil, content: ContentScore(structure: 0.81234, featureDistance: 0.5, layer: .conv4_2),
                                 texture: nil, style: StyleStatistics(gramDistance: 0.25, layers: [.conv1_1],
                                                                      classGramDistance: 0.125, classLayer: .conv3_1))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(report), as: UTF8.self)
        XCTAssertEqual(text, #"{"content":{"featureDistance":0.5,"structure":0.8123},"style":{"classGramDistance":0.125,"classLayer":"conv3_1","gramDistance":0.25}}"#)
    }
}
