import Foundation
import XCTest
import Doodle
import Net
import Patches

/// `score(...)` on the real weights at small sizes, CIELAB against known values, the JSON
/// shapes, and `MapReport`.
final class ScoreTests: XCTestCase {
    private func network() throws -> VGG19 { try TestNetwork.shared() }

    // MARK: - Synthetic inputs

    /// Deterministic noise in -1...1.
    private static func noise(_ x: Int, _ y: Int, _ c: Int) -> Float {
        var h = UInt64(x &* 73_856_093) ^ UInt64(y &* 19_349_663) ^ UInt64((c + 1) &* 83_492_791)
        h = (h ^ (h >> 33)) &* 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        return Float(h % 2001) / 1000 - 1
    }

    /// Left half: orange diagonal stripes; right half: blue-green dots. Both noisy.
    private static func twoTextures(width: Int = 96, height: Int = 72) -> Image {
        Image(width: width, height: height, channels: 3) { c, x, y in
            let value: Float
            if x < width / 2 {
                let stripe = ((x + y) / 3) % 2 == 0
                value = [stripe ? 220 : 120, stripe ? 90 : 40, 20][c]
            } else {
                let dot = x % 6 < 2 && y % 6 < 2
                value = [30, dot ? 200 : 90, dot ? 240 : 150][c]
            }
            return min(255, max(0, value + 12 * noise(x, y, c)))
        }
    }

    /// White where `white(x, y)`, blue elsewhere.
    private static func map(width: Int = 96, height: Int = 72, white: @escaping (Int, Int) -> Bool) -> Image {
        Image(width: width, height: height, channels: 3) { c, x, y in
            white(x, y) ? 255 : [0, 0, 255][c]
        }
    }

    private static func halvesMap(width: Int = 96, height: Int = 72, flipped: Bool = false) -> Image {
        map(width: width, height: height) { x, _ in (x < width / 2) != flipped }
    }

    private static func flippedLeftRight(_ image: Image) -> Image {
        Image(width: image.width, height: image.height, channels: image.channels) { c, x, y in
            image[c, image.width - 1 - x, y]
        }
    }

    private static func flippedUpDown(_ image: Image) -> Image {
        Image(width: image.width, height: image.height, channels: image.channels) { c, x, y in
            image[c, x, image.height - 1 - y]
        }
    }

    // MARK: - Scores

    func testStyleAgainstItselfScoresNearOne() throws {
        let net = try network()
        let style = Self.twoTextures(), styleMap = Self.halvesMap()
        let start = Date()
        let result = try score(output: style, style: style, styleMap: styleMap, targetMap: styleMap, network: net)
        print(String(format: "synthetic self-score 96x72: %.3f s", Date().timeIntervalSince(start)))
        XCTAssertEqual(result.layers.map(\.layer), [.conv3_1, .conv4_1])
        for l in result.layers {
            XCTAssertGreaterThanOrEqual(l.fraction, 0.9, "\(l.layer)")
            XCTAssertEqual(l.counted + l.blank, (72 / l.layer.stride - 2) * (96 / l.layer.stride - 2), "\(l.layer)")
        }
        XCTAssertLessThan(result.deltaE, 1)
        XCTAssertEqual(result.classes.map(\.mapClass.hex), ["#0000ff", "#ffffff"])
        XCTAssertEqual(result.classes.map(\.share).reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertEqual(result.classes[0].share, 0.5, accuracy: 1e-9)
    }

    func testFlippedDoodleScoresLower() throws {
        let net = try network()
        let style = Self.twoTextures(), styleMap = Self.halvesMap()
        let same = try score(output: style, style: style, styleMap: styleMap, targetMap: styleMap, network: net)
        let flipped = try score(output: style, style: style, styleMap: styleMap,
                                targetMap: Self.halvesMap(flipped: true), network: net)
        for layer in [VGGLayer.conv3_1, .conv4_1] {
            let f = flipped.fraction(at: layer)!, s = same.fraction(at: layer)!
            XCTAssertLessThan(f, 0.6, "\(layer)")
            XCTAssertLessThan(f, s - 0.3, "\(layer)")
            // The confusion: the diagonal is what matched, the rows are what was counted, and
            // the flipped doodle's misses go to the other class.
            let l = flipped.layers.first { $0.layer == layer }!
            XCTAssertEqual(l.confusion.indices.map { l.confusion[$0][$0] }.reduce(0, +), l.matched)
            XCTAssertEqual(l.confusion.joined().reduce(0, +), l.counted)
            for c in flipped.classes {
                let (id, other) = (c.mapClass.id, 1 - c.mapClass.id)
                XCTAssertGreaterThan(l.confusion[id][other], l.confusion[id][id], "\(layer) class \(c.mapClass.hex)")
                XCTAssertEqual(l.classFractions[id]!, Double(l.confusion[id][id]) / Double(l.confusion[id].reduce(0, +)))
            }
        }
        XCTAssertGreaterThan(flipped.deltaE, same.deltaE + 10)
    }

    func testDoodleOfAnotherSizeIsResampled() throws {
        let net = try network()
        // The style and its map at 192x144, the result at half that, the doodle at 240x180.
        let style = Self.twoTextures(width: 192, height: 144)
        let styleMap = Self.halvesMap(width: 192, height: 144)
        let output = style.resized(toWidth: 96, height: 72)
        let big = Self.halvesMap(width: 240, height: 180)
        let result = try score(output: output, style: style, styleMap: styleMap, targetMap: big, network: net)
        XCTAssertGreaterThanOrEqual(result.fraction(at: .conv3_1)!, 0.9)
        XCTAssertEqual(result.classes.count, 2)
        XCTAssertEqual(result.classes[0].share, 0.5, accuracy: 1e-9)
    }

    func testScoreJSONShape() throws {
        let net = try network()
        let style = Self.twoTextures(), styleMap = Self.halvesMap()
        let result = try score(output: style, style: style, styleMap: styleMap,
                               targetMap: Self.halvesMap(flipped: true), network: net)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(result)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["layers", "deltaE", "classes"])
        let layers = try XCTUnwrap(object["layers"] as? [String: Double])
        XCTAssertEqual(Set(layers.keys), ["conv3_1", "conv4_1"])
        XCTAssertEqual(layers["conv3_1"]!, result.fraction(at: .conv3_1)!, accuracy: 1e-4)
        let deltaE = try XCTUnwrap(object["deltaE"] as? Double)
        XCTAssertEqual(deltaE, result.deltaE, accuracy: 0.01)
        let classes = try XCTUnwrap(object["classes"] as? [[String: Any]])
        XCTAssertEqual(classes.count, 2)
        for (json, c) in zip(classes, result.classes) {
            XCTAssertEqual(json["colour"] as? String, c.mapClass.hex)
            XCTAssertEqual(json["name"] as? String, c.mapClass.colourName)
            XCTAssertEqual(try XCTUnwrap(json["share"] as? Double), c.share, accuracy: 1e-4)
            XCTAssertEqual(try XCTUnwrap(json["deltaE"] as? Double), c.deltaE, accuracy: 0.01)
            XCTAssertEqual(json["outputMean"] as? String, DoodleScore.hex(c.outputMean))
            XCTAssertEqual(json["styleMean"] as? String, DoodleScore.hex(c.styleMean))
            XCTAssertNil(json["label"])
            let own = try XCTUnwrap(json["layers"] as? [String: Double])
            XCTAssertEqual(Set(own.keys), ["conv3_1", "conv4_1"])
            let l = result.layers.first { $0.layer == .conv4_1 }!
            XCTAssertEqual(own["conv4_1"]!, l.classFractions[c.mapClass.id]!, accuracy: 1e-4)
        }
        XCTAssertEqual(classes.map { $0["colour"] as? String }, ["#0000ff", "#ffffff"])
    }

    // MARK: - Inputs that cannot be scored (no network needed)

    func testDoodleClassMissingFromStyleMapThrows() {
        let style = Self.twoTextures()
        let green = Image(width: 96, height: 72, channels: 3) { c, x, y in
            x < 48 ? 255 : (y < 36 ? [0, 0, 255][c] : [0, 255, 0][c])
        }
        var names = ScoreNames()
        names.targetMap = "doodle.png"
        names.styleMap = "style_sem.png"
        XCTAssertThrowsError(try DoodleScorer(output: style, style: style, styleMap: Self.halvesMap(),
                                              targetMap: green, names: names)) { error in
            let text = "\(error)"
            XCTAssertTrue(error is ScoreError)
            XCTAssertTrue(text.hasPrefix("'doodle.png': class #00ff00 (green, 25.0% of the map) has no region in 'style_sem.png'"), text)
            XCTAssertFalse(text.contains("\n"))
        }
    }

    func testTooSmallAndMisshapenInputsThrow() {
        let style = Self.twoTextures(), styleMap = Self.halvesMap()
        let tiny = style.resized(toWidth: 20, height: 30)
        XCTAssertThrowsError(try DoodleScorer(output: tiny, style: style, styleMap: styleMap, targetMap: styleMap)) {
            XCTAssertTrue("\($0)".contains("too small to score at conv4_1"), "\($0)")
        }
        // conv3_1 alone needs only 12x12.
        XCTAssertNoThrow(try DoodleScorer(output: tiny, style: style, styleMap: styleMap, targetMap: styleMap,
                                          layers: [.conv3_1]))
        let wide = Self.halvesMap(width: 96, height: 48)
        XCTAssertThrowsError(try DoodleScorer(output: style, style: style, styleMap: wide, targetMap: styleMap)) {
            XCTAssertTrue("\($0)".contains("a map must have its image's shape"), "\($0)")
        }
    }

    // MARK: - CIELAB

    func testCIELabKnownValues() {
        let white = CIELab(sRGB: 255, 255, 255)
        XCTAssertEqual(white.l, 100, accuracy: 1e-9)
        XCTAssertEqual(white.a, 0, accuracy: 1e-9)
        XCTAssertEqual(white.b, 0, accuracy: 1e-9)
        let black = CIELab(sRGB: 0, 0, 0)
        XCTAssertEqual(black.l, 0, accuracy: 1e-9)
        XCTAssertEqual(black.a, 0, accuracy: 1e-9)
        let red = CIELab(sRGB: 255, 0, 0)
        XCTAssertEqual(red.l, 53.24, accuracy: 0.01)
        XCTAssertEqual(red.a, 80.09, accuracy: 0.01)
        XCTAssertEqual(red.b, 67.20, accuracy: 0.01)
        let green = CIELab(sRGB: 0, 255, 0)   // 87.73, -86.18, 83.18
        XCTAssertEqual(green.l, 87.73, accuracy: 0.01)
        XCTAssertEqual(green.a, -86.18, accuracy: 0.01)
        XCTAssertEqual(green.b, 83.18, accuracy: 0.01)
        let blue = CIELab(sRGB: 0, 0, 255)    // 32.30, 79.19, -107.86
        XCTAssertEqual(blue.l, 32.30, accuracy: 0.01)
        XCTAssertEqual(blue.a, 79.19, accuracy: 0.01)
        XCTAssertEqual(blue.b, -107.86, accuracy: 0.01)
        let grey = CIELab(sRGB: 128, 128, 128)  // 53.59, 0, 0
        XCTAssertEqual(grey.l, 53.59, accuracy: 0.01)
        XCTAssertEqual(grey.a, 0, accuracy: 1e-6)
        XCTAssertEqual(grey.b, 0, accuracy: 1e-6)
        XCTAssertEqual(white.deltaE(to: black), 100, accuracy: 1e-9)
        XCTAssertEqual(red.deltaE(to: white), white.deltaE(to: red))
        XCTAssertEqual(red.deltaE(to: white), (46.76 * 46.76 + 80.09 * 80.09 + 67.20 * 67.20).squareRoot(), accuracy: 0.02)
    }

    // MARK: - Map report

    func testMapReportMatchesLaterMapsAgainstTheFirst() throws {
        let style = Self.halvesMap()
        let doodle = Image(width: 96, height: 72, channels: 3) { c, x, y in
            x < 48 ? 255 : (y < 36 ? [0, 0, 255][c] : [0, 255, 0][c])
        }
        let same = MapReport(images: [style, Self.halvesMap(flipped: true)], names: ["style.png", "flipped.png"])
        XCTAssertTrue(same.allMatched)
        XCTAssertNil(same.maps[0].classes[0].inFirstMap)
        XCTAssertEqual(same.maps[1].classes.map(\.inFirstMap), [true, true])

        let report = MapReport(images: [style, doodle], names: ["style.png", "doodle.png"])
        XCTAssertFalse(report.allMatched)
        XCTAssertEqual(report.palette.classes.map(\.hex), ["#0000ff", "#00ff00", "#ffffff"])
        XCTAssertEqual(report.maps[0].classes.map(\.mapClass.hex), ["#0000ff", "#ffffff"])
        XCTAssertEqual(report.maps[0].classes.map(\.share), [0.5, 0.5])
        XCTAssertEqual(report.maps[1].classes.map(\.mapClass.hex), ["#0000ff", "#00ff00", "#ffffff"])
        XCTAssertEqual(report.maps[1].classes.map(\.share), [0.25, 0.25, 0.5])
        XCTAssertEqual(report.maps[1].classes.map(\.inFirstMap), [true, false, true])
        XCTAssertEqual(report.maps[1].missing.map(\.mapClass.colourName), ["green"])
        XCTAssertEqual(report.maps[1].classes[1].pixels, 48 * 36)

        // The doodle first: the style's classes are all in it.
        XCTAssertTrue(MapReport(images: [doodle, style], names: ["doodle.png", "style.png"]).allMatched)

        // Label maps: one channel, the value is the class.
        let labels = Image(width: 40, height: 40, channels: 1) { _, x, _ in x < 20 ? 3 : 7 }
        let more = Image(width: 40, height: 40, channels: 1) { _, x, _ in x < 10 ? 3 : (x < 30 ? 7 : 9) }
        let labelReport = MapReport(images: [labels, more], names: ["a.png", "b.png"])
        XCTAssertEqual(labelReport.palette.kind, .labels)
        XCTAssertEqual(labelReport.maps[1].missing.map(\.mapClass.shortName), ["label 9"])
    }

    func testMapReportJSONShape() throws {
        let doodle = Image(width: 96, height: 72, channels: 3) { c, x, y in
            x < 48 ? 255 : (y < 36 ? [0, 0, 255][c] : [0, 255, 0][c])
        }
        let report = MapReport(images: [Self.halvesMap(), doodle], names: ["style.png", "doodle.png"])
        let data = try JSONEncoder().encode(report)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["classes", "maps", "allMatched"])
        XCTAssertEqual(object["allMatched"] as? Bool, false)
        let palette = try XCTUnwrap(object["classes"] as? [[String: Any]])
        XCTAssertEqual(palette.map { $0["colour"] as? String }, ["#0000ff", "#00ff00", "#ffffff"])
        XCTAssertEqual(palette.map { $0["id"] as? Int }, [0, 1, 2])
        let maps = try XCTUnwrap(object["maps"] as? [[String: Any]])
        XCTAssertEqual(maps.map { $0["name"] as? String }, ["style.png", "doodle.png"])
        XCTAssertEqual(maps[0]["width"] as? Int, 96)
        let first = try XCTUnwrap(maps[0]["classes"] as? [[String: Any]])
        XCTAssertTrue(first.allSatisfy { $0["matched"] == nil })
        let second = try XCTUnwrap(maps[1]["classes"] as? [[String: Any]])
        XCTAssertEqual(second.map { $0["matched"] as? Bool }, [true, false, true])
        XCTAssertEqual(second.map { $0["name"] as? String }, ["blue", "green", "white"])
        XCTAssertEqual(second.map { $0["share"] as? Double }, [0.25, 0.25, 0.5])
    }

    // MARK: - The shared test images (skipped when absent)

    private static let imagesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../../shared/images").standardizedFileURL.path

    private func sharedImage(_ name: String) throws -> Image {
        let folder = Self.imagesFolder
        guard FileManager.default.fileExists(atPath: folder) else { throw XCTSkip("\(folder) is absent") }
        return try Image.read(from: folder + "/" + name)
    }

    /// Monet at 128x96 (the maps at full size: the score resamples them).
    func testMonetAgainstItsOwnMapAndAltered() throws {
        let monet = try sharedImage("Monet.jpg").resized(toWidth: 128, height: 96)
        let map = try sharedImage("Monet_sem.png")
        let coast = try sharedImage("Coastline_sem.png")
        let net = try network()
        let start = Date()
        let own = try score(output: monet, style: monet, styleMap: map, targetMap: map, network: net)
        let seconds = Date().timeIntervalSince(start)
        let upsideDown = try score(output: monet, style: monet, styleMap: map, targetMap: Self.flippedUpDown(map), network: net)
        let mirrored = try score(output: monet, style: monet, styleMap: map, targetMap: Self.flippedLeftRight(map), network: net)
        let coastline = try score(output: monet, style: monet, styleMap: map, targetMap: coast, network: net)
        func line(_ name: String, _ s: DoodleScore) -> String {
            String(format: "%@: conv3_1 %.3f conv4_1 %.3f dE %.2f", name, s.fraction(at: .conv3_1)!, s.fraction(at: .conv4_1)!, s.deltaE)
        }
        print(String(format: "Monet 128x96 self-score in %.3f s", seconds))
        for (name, s) in [("own", own), ("upside down", upsideDown), ("mirrored", mirrored), ("coastline", coastline)] {
            print(line(name, s))
        }
        for l in own.layers { XCTAssertGreaterThanOrEqual(l.fraction, 0.9, "\(l.layer)") }
        XCTAssertLessThan(own.deltaE, 1)
        for l in upsideDown.layers { XCTAssertLessThan(l.fraction, 0.6, "\(l.layer)") }
        XCTAssertGreaterThan(upsideDown.deltaE, own.deltaE + 5)
        for l in coastline.layers { XCTAssertLessThan(l.fraction, own.fraction(at: l.layer)! - 0.2, "\(l.layer)") }
    }

    /// The project's own samples, when another change has added them.
    func testSamplesWhenPresent() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../samples").standardizedFileURL.path
        let names = ["monet.jpg", "monet_sem.png", "coast_sem.png"]
        guard names.allSatisfy({ FileManager.default.fileExists(atPath: folder + "/" + $0) }) else {
            throw XCTSkip("samples/monet.jpg, monet_sem.png, coast_sem.png are not all present")
        }
        let monet = try Image.read(from: folder + "/monet.jpg")
        let small = monet.resized(toWidth: 128, height: max(24, 128 * monet.height / monet.width))
        let map = try Image.read(from: folder + "/monet_sem.png")
        let coast = try Image.read(from: folder + "/coast_sem.png")
        XCTAssertTrue(MapReport(images: [map, coast], names: ["monet_sem.png", "coast_sem.png"]).allMatched)
        let net = try network()
        let own = try score(output: small, style: small, styleMap: map, targetMap: map, network: net)
        for l in own.layers { XCTAssertGreaterThanOrEqual(l.fraction, 0.9, "\(l.layer)") }
        XCTAssertLessThan(own.deltaE, 1)
    }
}
