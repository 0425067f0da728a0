import Dispatch
import Doodle
import Foundation
import Net
import Patches
import XCTest

final class SemanticMapTests: XCTestCase {
    // MARK: - Synthetic maps

    /// An RGB map from a colour function.
    private func paint(_ width: Int, _ height: Int, name: String = "map.png",
                       _ colour: (_ x: Int, _ y: Int) -> [Float]) -> MapPixels {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        let plane = width * height
        for y in 0..<height {
            for x in 0..<width {
                let c = colour(x, y)
                for k in 0..<3 { pixels[k * plane + y * width + x] = c[k] }
            }
        }
        return MapPixels(width: width, height: height, channels: 3, pixels: pixels, name: name)
    }

    private let red: [Float] = [255, 0, 0]
    private let blue: [Float] = [0, 0, 255]
    private let green: [Float] = [0, 255, 0]
    private let grey: [Float] = [191, 191, 191]

    func testOnePixelSeamIsNotAClass() {
        // Red | seam | blue, the seam 70% red.
        let seam: [Float] = [179, 0, 77]
        let map = paint(41, 30) { x, _ in x < 20 ? self.red : (x == 20 ? seam : self.blue) }
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.classes.map(\.hex), ["#0000ff", "#ff0000"])
        let labelled = SemanticMap(map, palette: palette)
        let redID = palette.classID(forColour: red)!, blueID = palette.classID(forColour: blue)!
        XCTAssertEqual(blueID, 0)
        XCTAssertEqual(redID, 1)
        for y in 0..<30 {
            XCTAssertEqual(labelled.labels[y * 41 + 20], Int32(redID), "seam pixel goes to the nearer class")
            XCTAssertEqual(labelled.labels[y * 41 + 19], Int32(redID))
            XCTAssertEqual(labelled.labels[y * 41 + 21], Int32(blueID))
        }
        XCTAssertEqual(labelled.pixelCounts, [20 * 30, 21 * 30])
    }

    func testTwoPixelAntialiasedSeamSplitsBetweenItsSides() {
        let nearRed: [Float] = [191, 0, 64], nearBlue: [Float] = [64, 0, 191]
        let map = paint(40, 40) { x, y in
            // A diagonal boundary with a 2-px blend, the way a painting program draws it.
            let d = x - y
            return d < 0 ? self.red : (d == 0 ? nearRed : (d == 1 ? nearBlue : self.blue))
        }
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.count, 2)
        let labelled = SemanticMap(map, palette: palette)
        let redID = Int32(palette.classID(forColour: red)!), blueID = Int32(palette.classID(forColour: blue)!)
        for y in 0..<40 {
            for x in 0..<40 {
                XCTAssertEqual(labelled.labels[y * 40 + x], x - y <= 0 ? redID : blueID, "pixel \(x),\(y)")
            }
        }
    }

    func testTinySquareIsAClass() {
        let map = paint(60, 60) { x, y in
            if (25..<35).contains(x) && (40..<50).contains(y) { return self.grey }
            return y < 20 ? self.red : self.green
        }
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.classes.map(\.hex), ["#00ff00", "#bfbfbf", "#ff0000"])
        let labelled = SemanticMap(map, palette: palette)
        let greyID = palette.classID(forColour: grey)!
        XCTAssertEqual(labelled.pixelCounts[greyID], 100)
        XCTAssertEqual(labelled.pixelShare(of: greyID), 100.0 / 3600, accuracy: 1e-12)
        let box = labelled.location(of: greyID)
        XCTAssertEqual(box?.x, 25); XCTAssertEqual(box?.y, 40)
        XCTAssertEqual(box?.width, 10); XCTAssertEqual(box?.height, 10)
        XCTAssertEqual(labelled.classesPresent(), [0, 1, 2])
    }

    func testSmallBlobAndLongSeamsAreNotClasses() {
        // A 4x4 speck and two long 2-px seams of one odd colour each: not regions.
        let speck: [Float] = [128, 128, 0], seamColour: [Float] = [128, 0, 128]
        let map = paint(80, 60) { x, y in
            if (10..<14).contains(x) && (10..<14).contains(y) { return speck }
            if x == 40 || x == 41 { return seamColour }
            if y == 30 || y == 31 { return seamColour }
            return x < 40 ? self.red : self.blue
        }
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.classes.map(\.hex), ["#0000ff", "#ff0000"])
        let labelled = SemanticMap(map, palette: palette)
        XCTAssertEqual(labelled.labels[12 * 80 + 12], Int32(palette.classID(forColour: red)!), "speck cleaned to its surroundings")
    }

    func testJPEGLikeNoiseKeepsTheClasses() {
        var rng = SplitMix64(seed: 42)
        let clean = { (x: Int, y: Int) -> [Float] in
            if (30..<42).contains(x) && (10..<22).contains(y) { return self.grey }
            return x < 50 ? [255, 51, 31] : (y < 30 ? [255, 255, 255] : [0, 0, 255])
        }
        let map = paint(100, 60) { x, y in
            clean(x, y).map { min(255, max(0, $0 + Float(Int(rng.next() % 13) - 6))) }
        }
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.count, 4, "\(palette.classes.map(\.hex))")
        let expected: [[Float]] = [[0, 0, 255], [191, 191, 191], [255, 51, 31], [255, 255, 255]]
        for (c, e) in zip(palette.classes, expected) {
            for k in 0..<3 { XCTAssertEqual(c.colour[k], e[k], accuracy: 2, "\(c.hex) vs \(e)") }
        }
        let labelled = SemanticMap(map, palette: palette)
        var wrong = 0
        for y in 0..<60 {
            for x in 0..<100 {
                let e = clean(x, y)
                if Int(labelled.labels[y * 100 + x]) != palette.nearestClass(r: e[0], g: e[1], b: e[2]) { wrong += 1 }
            }
        }
        XCTAssertEqual(wrong, 0)
    }

    func testLabelMap() {
        // Values 0 (top 10 rows), 1 (bottom rows, left), 2 (bottom rows, right).
        let width = 30, height = 20
        var pixels = [Float]()
        for y in 0..<height {
            for x in 0..<width { pixels.append(y < 10 ? 0 : (x < 12 ? 1 : 2)) }
        }
        let map = MapPixels(width: width, height: height, channels: 1, pixels: pixels, name: "labels.png")
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.kind, .labels)
        XCTAssertEqual(palette.classes.map(\.label), [0, 1, 2])
        XCTAssertEqual(palette.classes.map(\.id), [0, 1, 2])
        XCTAssertEqual(Set(palette.classes.map(\.hex)).count, 3, "distinct display colours")
        let labelled = SemanticMap(map, palette: palette)
        XCTAssertEqual(labelled.pixelCounts, [300, 120, 180])
        XCTAssertEqual(labelled.labels[0], 0)
        XCTAssertEqual(labelled.labels[15 * width + 5], 1)
        XCTAssertEqual(labelled.labels[15 * width + 20], 2)
    }

    func testLabelMapWithSparseValues() {
        let a = MapPixels(width: 4, height: 1, channels: 1, pixels: [7, 7, 200, 200], name: "a")
        let b = MapPixels(width: 4, height: 1, channels: 1, pixels: [3, 7, 7, 7], name: "b")
        let maps = SemanticMap.detect([a, b])
        XCTAssertEqual(maps[0].palette.classes.map(\.label), [3, 7, 200])
        XCTAssertEqual(maps[0].labels, [1, 1, 2, 2])
        XCTAssertEqual(maps[1].labels, [0, 1, 1, 1])
    }

    func testSameColourInTwoMapsIsOneClass() {
        let style = paint(40, 40, name: "style.png") { x, _ in x < 20 ? self.red : self.green }
        let target = paint(50, 30, name: "target.png") { _, y in y < 10 ? self.blue : self.red }
        let palette = ClassPalette.detect(maps: [style, target])
        XCTAssertEqual(palette.classes.map(\.hex), ["#0000ff", "#00ff00", "#ff0000"])
        XCTAssertEqual(ClassPalette.detect(maps: [target, style]), palette, "ids do not depend on the map order")
        let s = SemanticMap(style, palette: palette), t = SemanticMap(target, palette: palette)
        let redID = Int32(palette.classID(forColour: red)!)
        XCTAssertEqual(redID, 2)
        XCTAssertEqual(s.labels[0], redID)
        XCTAssertEqual(t.labels[29 * 50], redID)
        XCTAssertEqual(s.classesPresent(), [1, 2])
        XCTAssertEqual(t.classesPresent(), [0, 2])
    }

    func testUnmatchedClassErrorNamesColourAndMaps() throws {
        let style = paint(40, 40, name: "style_sem.png") { x, _ in x < 20 ? self.red : self.blue }
        let target = paint(40, 40, name: "doodle.png") { x, y in
            (10..<20).contains(x) && (30..<40).contains(y) ? self.green : (x < 20 ? self.red : self.blue)
        }
        let maps = SemanticMap.detect([style, target])
        XCTAssertNoThrow(try checkMatched(target: maps[0], style: maps[1]))
        XCTAssertThrowsError(try checkMatched(target: maps[1], style: maps[0])) { error in
            guard let error = error as? UnmatchedClassError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.unmatched.map(\.mapClass.hex), ["#00ff00"])
            let text = error.description
            XCTAssertEqual(text, "'doodle.png': class #00ff00 (green, 6.3% of the map, around x 10-19, y 30-39) "
                + "has no region in 'style_sem.png'; paint it in the style map or pass --allow-unmatched")
        }
    }

    /// Many missing classes are still one line: the largest four, then a count.
    func testManyUnmatchedClassesAreOneLine() {
        let regions = (0..<7).map { i in
            UnmatchedClassError.Region(mapClass: MapClass(id: i, colour: [Float(i * 30), 0, 255]), share: Double(i + 1) / 100,
                                       x: i, y: 0, width: 2, height: 3)
        }
        let error = UnmatchedClassError(targetName: "many.png", styleName: "style_sem.png", unmatched: regions)
        let text = error.description
        XCTAssertFalse(text.contains("\n"), text)
        XCTAssertTrue(text.hasPrefix("'many.png': 7 classes have no region in 'style_sem.png': #b400ff ("), text)
        XCTAssertTrue(text.hasSuffix(" and 3 more; paint them in the style map or pass --allow-unmatched"), text)
        XCTAssertEqual(text.components(separatedBy: "of the map").count - 1, 4)
    }

    func testSeamBetweenDistantClassesStaysWithItsNeighbours() {
        // Blue meets orange-red; their 50/50 blend (128,26,143) is nearer to dark red (192,0,0)
        // in RGB, but no dark red is anywhere near, so the seam goes to blue or orange-red.
        let orange: [Float] = [255, 51, 31], darkRed: [Float] = [192, 0, 0]
        let map = paint(60, 40) { x, y in
            if y >= 30 { return darkRed }
            return x < 20 ? self.blue : (x == 20 ? [128, 26, 143] : orange)
        }
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.count, 3)
        XCTAssertEqual(palette.nearestClass(r: 128, g: 26, b: 143), palette.classID(forColour: darkRed))
        let labelled = SemanticMap(map, palette: palette)
        let sides = [palette.classID(forColour: blue)!, palette.classID(forColour: orange)!]
        for y in 0..<28 { XCTAssertTrue(sides.contains(Int(labelled.labels[y * 60 + 20])), "seam pixel at y \(y)") }
        // Only the seam's last 2 pixels, next to the dark red, may join it.
        XCTAssertTrue((600...602).contains(labelled.pixelCounts[palette.classID(forColour: darkRed)!]))
    }

    func testThinStrokeOfAClassIsKeptButSeamFragmentsAreNot() {
        // Blue water (flat) plus a 2-px blue river 35 px long in the green, not touching the
        // water: a thin stroke of a real class without a flat pixel of its own. A 3-px dab of
        // exact blue elsewhere is only a fragment.
        let map = paint(80, 60) { x, y in
            if y >= 45 { return self.blue }
            if (x == 30 || x == 31) && (5..<40).contains(y) { return self.blue }
            if (60..<63).contains(x) && y == 10 { return self.blue }
            return self.green
        }
        let palette = ClassPalette.detect(maps: [map])
        XCTAssertEqual(palette.classes.map(\.hex), ["#0000ff", "#00ff00"])
        let labelled = SemanticMap(map, palette: palette)
        let blueID = Int32(palette.classID(forColour: blue)!), greenID = Int32(palette.classID(forColour: green)!)
        for y in 5..<40 {
            XCTAssertEqual(labelled.labels[y * 80 + 30], blueID)
            XCTAssertEqual(labelled.labels[y * 80 + 31], blueID)
        }
        XCTAssertEqual(labelled.labels[10 * 80 + 61], greenID)
        XCTAssertEqual(labelled.pixelCounts[Int(blueID)], 15 * 80 + 2 * 35)
    }

    func testOneHotColoursAndDownsampling() {
        // A 7x5 label map: columns 0-2 label 2, columns 3-6 label 0, one pixel of label 1 at (6, 4).
        var values = [Float]()
        for y in 0..<5 {
            for x in 0..<7 { values.append(x == 6 && y == 4 ? 1 : (x < 3 ? 2 : 0)) }
        }
        let map = MapPixels(width: 7, height: 5, channels: 1, pixels: values, name: "labels.png")
        let palette = ClassPalette.detect(maps: [map])
        let labelled = SemanticMap(map, palette: palette)

        let oneHot = labelled.oneHot()
        XCTAssertEqual(oneHot.shape, [3, 5, 7])
        XCTAssertEqual(oneHot.data[2 * 35 + 0], 1)          // label 2 at (0,0)
        XCTAssertEqual(oneHot.data[0 * 35 + 3], 1)          // label 0 at (3,0)
        XCTAssertEqual(oneHot.data[1 * 35 + 4 * 7 + 6], 1)  // label 1 at (6,4)
        XCTAssertEqual(oneHot.data.reduce(0, +), 35)

        let colours = labelled.colours()
        XCTAssertEqual(colours.shape, [3, 5, 7])
        XCTAssertEqual([colours.data[4 * 7 + 6], colours.data[35 + 4 * 7 + 6], colours.data[70 + 4 * 7 + 6]],
                       palette.classes[1].colour)
        XCTAssertEqual([colours.data[0], colours.data[35], colours.data[70]], palette.classes[2].colour)

        XCTAssertEqual(labelled.downsampled(toWidth: 7, height: 5), oneHot)

        // 7x5 -> 3x2: cells are 7/3 wide and 5/2 tall.
        let small = labelled.downsampled(toWidth: 3, height: 2)
        XCTAssertEqual(small.shape, [3, 2, 3])
        func at(_ k: Int, _ x: Int, _ y: Int) -> Float { small.data[(k * 2 + y) * 3 + x] }
        for y in 0..<2 {
            for x in 0..<3 { XCTAssertEqual(at(0, x, y) + at(1, x, y) + at(2, x, y), 1, accuracy: 1e-6) }
        }
        // Cell x 0 covers source [0, 7/3): all label 2. Cell x 1 covers [7/3, 14/3): label 2 on
        // 2/3 of a column, label 0 on 5/3 columns -> 2/7 and 5/7. Cell (2, 1) covers x [14/3, 7),
        // y [2.5, 5): 7/3 * 2.5 = 35/6 pixel areas, label 1 covers 1 -> 6/35.
        XCTAssertEqual(at(2, 0, 0), 1, accuracy: 1e-6)
        XCTAssertEqual(at(2, 1, 0), 2.0 / 7, accuracy: 1e-6)
        XCTAssertEqual(at(0, 1, 0), 5.0 / 7, accuracy: 1e-6)
        XCTAssertEqual(at(1, 2, 1), 6.0 / 35, accuracy: 1e-6)
        XCTAssertEqual(at(0, 2, 1), 29.0 / 35, accuracy: 1e-6)
        XCTAssertEqual(at(1, 2, 0), 0)

        // Upsampling copies each source pixel onto the cells it covers.
        let big = labelled.downsampled(toWidth: 14, height: 10)
        XCTAssertEqual(big.data[(1 * 10 + 9) * 14 + 13], 1)
        XCTAssertEqual(big.data[(1 * 10 + 7) * 14 + 11], 0)

        // A feature-layer size that does not divide the map: 512x384 -> 63x47, every cell sums to 1.
        let wide = SemanticMap(paint(51, 38) { x, y in x * 3 + y * 2 < 90 ? self.red : self.blue },
                               palette: ClassPalette(colours: [red, blue]))
        let pooled = wide.downsampled(toWidth: 10, height: 7)
        for i in 0..<70 { XCTAssertEqual(pooled.data[i] + pooled.data[70 + i], 1, accuracy: 1e-6) }
        let total = pooled.data[0..<70].reduce(0, +) * Float(51 * 38) / 70
        XCTAssertEqual(total, Float(wide.pixelCounts[0]), accuracy: 0.01, "area is preserved")

        // Resampling keeps the majority class per cell.
        let half = labelled.resampled(toWidth: 3, height: 2)
        XCTAssertEqual(half.labels, [2, 0, 0, 2, 0, 0])
        XCTAssertEqual(half.pixelCounts, [4, 0, 2])
        XCTAssertEqual(labelled.resampled(toWidth: 14, height: 10).pixelCounts, [4 * 19, 4, 4 * 15])
    }

    // MARK: - The shared test maps

    private static let imagesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().appendingPathComponent("../../../shared/images").standardized.path

    private func readMaps(_ names: [String]) throws -> [MapPixels] {
        let folder = Self.imagesFolder
        guard FileManager.default.fileExists(atPath: folder) else { throw XCTSkip("\(folder) is absent") }
        return try names.map { name in
            let image = try Image.read(from: folder + "/" + name)
            return MapPixels(width: image.width, height: image.height, channels: image.channels,
                             pixels: image.pixels, name: name)
        }
    }

    private func table(_ map: SemanticMap) -> String {
        map.palette.classes.map { c in
            "  \(c.hex) \(c.colourName.padding(toLength: 12, withPad: " ", startingAt: 0)) "
                + "\(String(format: "%7.3f%%", 100 * map.pixelShare(of: c.id))) \(map.pixelCounts[c.id]) px"
        }.joined(separator: "\n")
    }

    private func checkEveryPixelLabelled(_ map: SemanticMap) {
        XCTAssertEqual(map.labels.count, map.width * map.height)
        XCTAssertTrue(map.labels.allSatisfy { $0 >= 0 && Int($0) < map.palette.count })
        XCTAssertEqual(map.pixelCounts.reduce(0, +), map.width * map.height)
    }

    private func exactCount(_ map: MapPixels, _ colour: [Float]) -> Int {
        let plane = map.width * map.height
        return (0..<plane).filter { i in (0..<3).allSatisfy { map.pixels[$0 * plane + i] == colour[$0] } }.count
    }

    private func share(_ map: SemanticMap, _ hex: String) -> Double {
        map.palette.classes.first { $0.hex == hex }.map { map.pixelShare(of: $0.id) } ?? -1
    }

    func testMonetAndCoastline() throws {
        let maps = SemanticMap.detect(try readMaps(["Monet_sem.png", "Coastline_sem.png"]))
        let palette = maps[0].palette
        print("Monet_sem.png\n\(table(maps[0]))\nCoastline_sem.png\n\(table(maps[1]))")
        XCTAssertEqual(palette.classes.map(\.hex), ["#0000ff", "#00ff00", "#c00000", "#ff331f", "#ffffff"])
        for map in maps {
            checkEveryPixelLabelled(map)
            XCTAssertEqual(map.classesPresent(), [0, 1, 2, 3, 4])
        }
        XCTAssertNoThrow(try checkMatched(target: maps[1], style: maps[0]))
        // Painted shares (exact colours) plus about half of the seams.
        XCTAssertEqual(share(maps[0], "#ffffff"), 75527.0 / 196608, accuracy: 0.01)
        XCTAssertEqual(share(maps[0], "#c00000"), 14064.0 / 196608, accuracy: 0.01)
        XCTAssertEqual(share(maps[1], "#00ff00"), 10124.0 / 196608, accuracy: 0.01)
    }

    func testRenoirAndLandscape() throws {
        let maps = SemanticMap.detect(try readMaps(["Renoir_sem.png", "Landscape_sem.png"]))
        print("Renoir_sem.png\n\(table(maps[0]))\nLandscape_sem.png\n\(table(maps[1]))")
        XCTAssertEqual(maps[0].palette.classes.map(\.hex), ["#0000ff", "#00ff00", "#ff331f", "#ffffff"])
        for map in maps {
            checkEveryPixelLabelled(map)
            XCTAssertEqual(map.classesPresent(), [0, 1, 2, 3])
        }
        XCTAssertNoThrow(try checkMatched(target: maps[1], style: maps[0]))
        XCTAssertEqual(share(maps[0], "#00ff00"), 70936.0 / 163840, accuracy: 0.01)
    }

    func testGoghAndSeth() throws {
        let pixels = try readMaps(["Gogh_sem.png", "Seth_sem.png"])
        let maps = SemanticMap.detect(pixels)
        let palette = maps[0].palette
        print("Gogh_sem.png\n\(table(maps[0]))\nSeth_sem.png\n\(table(maps[1]))")
        // Background red, clothes blue, face green, hair yellow, eyes grey -- and eyebrows:
        // two brow-shaped flat strokes of #c0ff00 above the eyes in both portraits (about 270
        // and 140 pixels), painted as regions of their own, not a green/yellow seam.
        XCTAssertEqual(palette.classes.map(\.hex), ["#0000ff", "#00ff00", "#bfbfbf", "#c0ff00", "#ff0000", "#ffff00"])
        for map in maps {
            checkEveryPixelLabelled(map)
            XCTAssertEqual(map.classesPresent(), [0, 1, 2, 3, 4, 5])
        }
        XCTAssertNoThrow(try checkMatched(target: maps[1], style: maps[0]))
        // The eyes: 141 pixels of exactly #bfbfbf in Gogh_sem.png (146 in Seth_sem.png), plus a
        // ring of near-grey (#c0bfc0, #c2bec2 ...) and the grey half of the anti-aliased edge.
        let eyes = palette.classID(forColour: grey)!
        XCTAssertTrue((130...150).contains(exactCount(pixels[0], grey)), "\(exactCount(pixels[0], grey))")
        XCTAssertTrue((240...320).contains(maps[0].pixelCounts[eyes]), "eyes: \(maps[0].pixelCounts[eyes]) px")
        XCTAssertTrue((240...320).contains(maps[1].pixelCounts[eyes]), "eyes: \(maps[1].pixelCounts[eyes]) px")
        let box = maps[0].location(of: eyes)!
        XCTAssertTrue((150...156).contains(box.x) && (175...180).contains(box.y)
                      && (70...78).contains(box.width) && (10...15).contains(box.height), "\(box)")
        let brows = palette.classID(forColour: [192, 255, 0])!
        XCTAssertTrue((400...600).contains(maps[0].pixelCounts[brows]), "brows: \(maps[0].pixelCounts[brows]) px")
        let browBox = maps[0].location(of: brows)!
        XCTAssertTrue(browBox.width < 100 && browBox.height < 25, "brows stay above the eyes: \(browBox)")

        // Shrunk after detection, the eyes are still there (detected on a shrunk map they are not).
        let half = maps[0].resampled(toWidth: 208, height: 254)
        XCTAssertTrue((50...90).contains(half.pixelCounts[eyes]), "eyes at half size: \(half.pixelCounts[eyes]) px")
    }

    /// The same classes detected twice (its speed is `doodle bench kernels`').
    func testDetectionOn512x384IsRepeatable() throws {
        let map = try readMaps(["Monet_sem.png"])[0]
        let first = SemanticMap.detect([map]), second = SemanticMap.detect([map])
        XCTAssertEqual(first[0].palette.count, 5)
        XCTAssertEqual(first[0].pixelCounts, second[0].pixelCounts)
    }
}
