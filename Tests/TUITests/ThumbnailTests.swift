import Doodle
import TUI
import XCTest

final class ThumbnailTests: XCTestCase {
    /// A horizontal ramp from black to white gives ramp characters in order, darkest first.
    func testASCIIRampGoesFromDarkToBright() {
        let image = Image(width: 100, height: 20, channels: 3) { _, x, _ in Float(x) * 255 / 99 }
        let t = Thumbnail(image: image, maxColumns: 10, mode: .ascii)
        XCTAssertEqual(t.rows, 1)
        let line = Array(t.lines[0])
        XCTAssertEqual(line.count, 10)
        let ranks = line.map { Thumbnail.asciiRamp.firstIndex(of: $0)! }
        XCTAssertEqual(ranks, ranks.sorted(), "brightness must not go down along the ramp: \(String(line))")
        XCTAssertEqual(line.first, " ")
        XCTAssertEqual(line.last, "@")
        XCTAssertEqual(Thumbnail.rampCharacter(0), Thumbnail.asciiRamp.first)
        XCTAssertEqual(Thumbnail.rampCharacter(255), Thumbnail.asciiRamp.last)
        let all = (0...255).map { Thumbnail.asciiRamp.firstIndex(of: Thumbnail.rampCharacter(Double($0)))! }
        XCTAssertEqual(all, all.sorted())
        XCTAssertEqual(Set(all).count, Thumbnail.asciiRamp.count, "every ramp step is used")
    }

    /// Brightness counts green most (luma), so pure green is brighter than pure blue.
    func testASCIIUsesLuma() {
        XCTAssertGreaterThan(Thumbnail.asciiRamp.firstIndex(of: Thumbnail.rampCharacter(0.7152 * 255))!,
                             Thumbnail.asciiRamp.firstIndex(of: Thumbnail.rampCharacter(0.0722 * 255))!)
        let green = Image(width: 2, height: 4, channels: 3) { c, _, _ in c == 1 ? 255 : 0 }
        let blue = Image(width: 2, height: 4, channels: 3) { c, _, _ in c == 2 ? 255 : 0 }
        let g = Thumbnail(image: green, maxColumns: 1, mode: .ascii)[0, 0].character
        let b = Thumbnail(image: blue, maxColumns: 1, mode: .ascii)[0, 0].character
        XCTAssertGreaterThan(Thumbnail.asciiRamp.firstIndex(of: g)!, Thumbnail.asciiRamp.firstIndex(of: b)!)
    }

    /// '▀' cells: the upper pixel is the foreground, the lower the background.
    func testHalfBlockTopIsForegroundBottomIsBackground() {
        let image = Image(width: 1, height: 2, channels: 3) { c, _, y in
            y == 0 ? [255, 0, 0][c] : [0, 0, 255][c]
        }
        let t = Thumbnail(image: image, maxColumns: 1, mode: .halfBlock)
        XCTAssertEqual(t.columns, 1)
        XCTAssertEqual(t.rows, 1)
        XCTAssertEqual(t[0, 0], ThumbnailCell(character: "▀", foreground: 196, background: 21))
    }

    /// A 2x4 image of four coloured rows in one column of two cells.
    func testHalfBlockRowsPairUp() {
        let rows: [[Float]] = [[255, 255, 255], [0, 0, 0], [0, 255, 0], [255, 255, 0]]
        let image = Image(width: 2, height: 4, channels: 3) { c, _, y in rows[y][c] }
        let t = Thumbnail(image: image, maxColumns: 2, mode: .halfBlock)
        XCTAssertEqual(t.columns, 2)
        XCTAssertEqual(t.rows, 2)
        for column in 0..<2 {
            XCTAssertEqual(t[column, 0].foreground, 231)   // white
            XCTAssertEqual(t[column, 0].background, 16)    // black
            XCTAssertEqual(t[column, 1].foreground, 46)    // green
            XCTAssertEqual(t[column, 1].background, 226)   // yellow
        }
    }

    func testXterm256Quantisation() {
        XCTAssertEqual(Xterm256.index(r: 255, g: 0, b: 0), 196)
        XCTAssertEqual(Xterm256.index(r: 0, g: 0, b: 255), 21)
        XCTAssertEqual(Xterm256.index(r: 0, g: 0, b: 0), 16)
        XCTAssertEqual(Xterm256.index(r: 255, g: 255, b: 255), 231)
        XCTAssertEqual(Xterm256.index(r: 128, g: 128, b: 128), 244, "mid grey uses the grey ramp")
        XCTAssertEqual(Xterm256.index(r: .nan, g: 300, b: -5), 16 + 36 * 0 + 6 * 5 + 0)
        for i in 16...255 {
            let c = Xterm256.rgb(i)
            XCTAssertEqual(Xterm256.index(r: Float(c.r), g: Float(c.g), b: Float(c.b)), i, "entry \(i) maps to itself")
        }
        XCTAssertEqual(Xterm256.basic(196), 1)
        XCTAssertEqual(Xterm256.basic(21), 4)
    }

    /// 512x384 into 40 columns: 15 rows (a cell is twice as tall as wide), in both modes; the
    /// half-block grid covers 40x30 pixels, the image's 4:3.
    func testAspectRatioOf512x384In40Columns() {
        let image = Image(width: 512, height: 384, channels: 3, repeating: 100)
        for mode in [ThumbnailMode.ascii, .halfBlock] {
            let t = Thumbnail(image: image, maxColumns: 40, mode: mode)
            XCTAssertEqual(t.columns, 40, "\(mode)")
            XCTAssertEqual(t.rows, 15, "\(mode)")
            XCTAssertEqual(t.cells.count, 600)
            XCTAssertEqual(t.lines.count, 15)
            XCTAssertTrue(t.lines.allSatisfy { $0.count == 40 })
        }
        let size = Thumbnail.size(width: 512, height: 384, maxColumns: 40, maxRows: 10)
        XCTAssertEqual(size.rows, 10)
        XCTAssertEqual(size.columns, 27)
        XCTAssertEqual(Double(size.columns) / Double(2 * size.rows), 512.0 / 384.0, accuracy: 0.04)
        let tall = Thumbnail.size(width: 416, height: 508, maxColumns: 40, maxRows: 12)
        XCTAssertEqual(tall.rows, 12)
        XCTAssertEqual(Double(tall.columns) / Double(2 * tall.rows), 416.0 / 508.0, accuracy: 0.05)
    }

    /// Small images are enlarged (nearest pixel), grey images work, and the result always fits.
    func testEnlargingAndGreyImages() {
        let grey = Image(width: 4, height: 3, channels: 1) { _, x, _ in Float(x * 85) }
        let t = Thumbnail(image: grey, maxColumns: 40, maxRows: 100, mode: .ascii)
        XCTAssertEqual(t.columns, 40)
        XCTAssertEqual(t.rows, 15)
        XCTAssertEqual(t.lines[0].first, " ")
        XCTAssertEqual(t.lines[0].last, "@")
        let one = Thumbnail(image: Image(width: 1, height: 1, channels: 3, repeating: 255), maxColumns: 1, maxRows: 1, mode: .halfBlock)
        XCTAssertEqual(one.columns, 1)
        XCTAssertEqual(one.rows, 1)
    }

    func testSparkline() {
        let falling = [1000.0, 100, 10, 1]
        let s = Sparkline.render(falling, width: 10)
        XCTAssertEqual(s.count, 4)
        XCTAssertEqual(s.first, "█")
        XCTAssertEqual(s.last, "▁")
        XCTAssertEqual(Array(s)[1], "▆", "log scale: a decade per step")
        XCTAssertEqual(Sparkline.render(Array(repeating: 5, count: 3), width: 10), "▅▅▅")
        XCTAssertEqual(Sparkline.render(Array(1...100).map(Double.init), width: 20).count, 20, "the last values that fit")
        XCTAssertEqual(Sparkline.render([3, 2, 1], width: 5, unicode: false, logScale: false), "#=_")
        XCTAssertEqual(Sparkline.render([], width: 5), "")
        XCTAssertEqual(Sparkline.render([.nan, 1, 2], width: 5).count, 2)
    }
}
