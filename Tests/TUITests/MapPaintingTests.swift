import Doodle
import Foundation
import TUI
import XCTest

/// The paint canvas's editing, checked pixel by pixel against what each tool must do.
final class MapPaintingTests: XCTestCase {
    let palette = [
        MapPainting.Colour(hex: "#000000", name: "ground", rgb: [0, 0, 0], inStyle: true),
        MapPainting.Colour(hex: "#ff0000", name: "red", rgb: [255, 0, 0], inStyle: true),
        MapPainting.Colour(hex: "#0000ff", name: "blue", rgb: [0, 0, 255], inStyle: true),
    ]

    /// Counts of each class.
    func counts(_ p: MapPainting) -> [Int] {
        var c = [0, 0, 0]
        for y in 0..<p.height { for x in 0..<p.width { c[p[x, y]] += 1 } }
        return c
    }

    func testGridCoversTheMapExactlyAndFindsItsPixelsBack() {
        for (w, h, columns, rows) in [(10, 7, 3, 2), (512, 384, 44, 17), (97, 300, 20, 19), (5, 5, 40, 40)] {
            let grid = PaintGrid(mapWidth: w, mapHeight: h, maxColumns: columns, maxRows: rows)
            XCTAssertLessThanOrEqual(grid.columns, min(w, columns))
            XCTAssertLessThanOrEqual(grid.rows, rows)
            var covered = [Int](repeating: 0, count: w * h)
            for py in 0..<grid.pixelRows {
                for px in 0..<grid.columns {
                    let (xs, ys) = grid.mapRect(of: (px, py))
                    XCTAssertFalse(xs.isEmpty || ys.isEmpty)
                    for y in ys { for x in xs { covered[y * w + x] += 1 } }
                    let c = grid.centre(of: (px, py))
                    XCTAssertTrue(grid.displayPixel(of: c) == (px, py), "\(w)x\(h) grid \(grid.columns)x\(grid.pixelRows) at \(px),\(py)")
                }
            }
            XCTAssertEqual(Set(covered), [1], "every map pixel in exactly one display pixel (\(w)x\(h))")
            for y in 0..<h { for x in 0..<w {
                let p = grid.displayPixel(of: (x, y))
                let (xs, ys) = grid.mapRect(of: p)
                XCTAssertTrue(xs.contains(x) && ys.contains(y))
            } }
        }
    }

    func testBrushLineRectangleAndFillPaintWhatTheyShould() {
        // A 40x20 map seen through a 20x10 grid: each display pixel is 2x2 map pixels.
        let grid = PaintGrid(mapWidth: 40, mapHeight: 20, maxColumns: 20, maxRows: 5)
        XCTAssertEqual(grid.columns, 20)
        XCTAssertEqual(grid.pixelRows, 10)
        var p = MapPainting(width: 40, height: 20, palette: palette)
        p.placeCursor(atDisplay: (0, 0), grid: grid)

        // Brush of size 1: one display pixel = 4 map pixels; the pen then paints the way.
        p.choose(colour: 1)
        p.apply(grid: grid)
        XCTAssertEqual(counts(p), [796, 4, 0])
        XCTAssertTrue(p.penDown)
        for _ in 0..<4 { p.moveCursor(dx: 1, dy: 0, grid: grid) }
        XCTAssertEqual(counts(p)[1], 5 * 4, "five display pixels along the row")
        p.apply(grid: grid)  // pen up
        p.moveCursor(dx: 0, dy: 2, grid: grid)
        XCTAssertEqual(counts(p)[1], 20, "no paint with the pen up")

        // Size 3 is a 3x3 disc minus nothing at this size: 9 display pixels.
        p.changeBrush(by: 2)
        p.placeCursor(atDisplay: (10, 5), grid: grid)
        p.apply(grid: grid)
        p.apply(grid: grid)
        XCTAssertEqual(counts(p)[1], 20 + 9 * 4)
        p.changeBrush(by: -10)
        XCTAssertEqual(p.brushSize, 1)

        // A rectangle from (15,0) to (19,3): 5x4 display pixels of blue.
        p.choose(colour: 2)
        p.choose(tool: .rectangle)
        p.placeCursor(atDisplay: (15, 0), grid: grid)
        p.apply(grid: grid)
        XCTAssertNotNil(p.anchor)
        p.moveCursor(dx: 4, dy: 3, grid: grid)
        XCTAssertEqual(p.pendingShape(grid: grid).count, 20)
        p.apply(grid: grid)
        XCTAssertEqual(counts(p)[2], 20 * 4)

        // A diagonal line of 5 display pixels.
        p.choose(tool: .line)
        p.placeCursor(atDisplay: (0, 5), grid: grid)
        p.apply(grid: grid)
        p.placeCursor(atDisplay: (4, 9), grid: grid)
        p.apply(grid: grid)
        XCTAssertEqual(counts(p)[2], 20 * 4 + 5 * 4)
        for i in 0...4 { XCTAssertEqual(p[2 * i, 10 + 2 * i], 2) }

        // Fill the ground (class 0) from the bottom-right corner: every ground pixel 4-connected
        // to it turns red. The diagonal cuts off the corner below it (10 display pixels of
        // ground, touching the rest only at corners), which stays ground.
        let before = counts(p)
        p.choose(tool: .fill)
        p.choose(colour: 1)
        p.placeCursor(atDisplay: (19, 9), grid: grid)
        p.apply(grid: grid)
        XCTAssertEqual(counts(p), [40, before[0] - 40 + before[1], before[2]])
        XCTAssertEqual(p[0, 19], 0)
    }

    func testFillStopsAtTheRegionsEdge() {
        let grid = PaintGrid(mapWidth: 9, mapHeight: 8, maxColumns: 9, maxRows: 4)
        var p = MapPainting(width: 9, height: 8, palette: palette)
        // A closed blue ring around (4,4): its inside is ground, cut off from the outside.
        p.choose(colour: 2)
        p.choose(tool: .rectangle)
        p.placeCursor(atDisplay: (2, 2), grid: grid); p.apply(grid: grid)
        p.placeCursor(atDisplay: (6, 6), grid: grid); p.apply(grid: grid)
        p.choose(colour: 0)
        p.placeCursor(atDisplay: (3, 3), grid: grid); p.apply(grid: grid)
        p.placeCursor(atDisplay: (5, 5), grid: grid); p.apply(grid: grid)
        XCTAssertEqual(counts(p), [72 - 16, 0, 16])
        p.choose(tool: .fill)
        p.choose(colour: 1)
        p.placeCursor(atDisplay: (4, 4), grid: grid)
        p.apply(grid: grid)
        XCTAssertEqual(counts(p), [72 - 25, 9, 16], "only the ring's inside")
    }

    func testUndoAndRedoStepThroughEdits() {
        let grid = PaintGrid(mapWidth: 8, mapHeight: 8, maxColumns: 8, maxRows: 4)
        var p = MapPainting(width: 8, height: 8, palette: palette)
        p.choose(colour: 1)
        p.clear()
        p.choose(colour: 2)
        p.choose(tool: .fill)
        p.apply(grid: grid)
        XCTAssertEqual(counts(p), [0, 0, 64])
        p.undo()
        XCTAssertEqual(counts(p), [0, 64, 0])
        p.undo()
        XCTAssertEqual(counts(p), [64, 0, 0])
        XCTAssertFalse(p.canUndo)
        p.redo()
        XCTAssertEqual(counts(p), [0, 64, 0])
        p.redo()
        XCTAssertEqual(counts(p), [0, 0, 64])
        XCTAssertFalse(p.canRedo)
        p.undo()
        p.clear()  // a new edit drops the redo
        XCTAssertFalse(p.canRedo)
    }

    func testALoadedMapSnapsToThePaletteAndSavesBackExactly() throws {
        // Anti-aliased seam: 250,10,10 is red, 20,20,200 blue, 120,0,130 nearest blue.
        let map = Image(width: 4, height: 1, channels: 3) { c, x, _ in
            [[250, 10, 10], [255, 0, 0], [20, 20, 200], [120, 0, 130]][x].map(Float.init)[c]
        }
        let p = MapPainting(map: map, palette: palette)
        XCTAssertEqual((0..<4).map { p[$0, 0] }, [1, 1, 2, 2])
        let back = p.image
        XCTAssertEqual(back.pixels, [255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255])
        XCTAssertEqual(p.shares, [0, 0.5, 0.5])
    }

    func testMouseReportsParseAsXtermSendsThem() {
        XCTAssertEqual(MouseEvent(sgr: "0;12;5M"), MouseEvent(kind: .press, x: 11, y: 4))
        XCTAssertEqual(MouseEvent(sgr: "32;13;5M"), MouseEvent(kind: .drag, x: 12, y: 4))
        XCTAssertEqual(MouseEvent(sgr: "0;13;6m"), MouseEvent(kind: .release, x: 12, y: 5))
        XCTAssertEqual(MouseEvent(sgr: "4;1;1M"), MouseEvent(kind: .press, x: 0, y: 0), "shift ignored")
        XCTAssertNil(MouseEvent(sgr: "2;12;5M"), "right button")
        XCTAssertNil(MouseEvent(sgr: "64;12;5M"), "wheel")
        XCTAssertNil(MouseEvent(sgr: "0;0;5M"))
        XCTAssertNil(MouseEvent(sgr: "0;12M"))
        XCTAssertNil(MouseEvent(sgr: "0;a;5M"))
    }

    func testMouseDragPaintsAContinuousStroke() {
        let grid = PaintGrid(mapWidth: 20, mapHeight: 10, maxColumns: 20, maxRows: 5)
        var p = MapPainting(width: 20, height: 10, palette: palette)
        p.choose(colour: 1)
        p.press(atDisplay: (0, 0), grid: grid)
        p.drag(toDisplay: (9, 0), grid: grid)  // a jump: the stroke fills the gap
        p.release(atDisplay: (9, 0), grid: grid)
        for x in 0...9 { XCTAssertEqual(p[x, 0], 1); XCTAssertEqual(p[x, 1], 1, "a cell's two pixels") }
        XCTAssertEqual(counts(p)[1], 20)
        p.undo()
        XCTAssertEqual(counts(p)[1], 0, "press to release is one undo step")
    }
}
