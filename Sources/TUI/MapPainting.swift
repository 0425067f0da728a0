import Doodle
import Patches

/// A semantic map being painted in the studio. It keeps one class per pixel at the map's own
/// size (so a loaded map keeps its detail where it is not painted over) and is edited through
/// a coarser grid of display pixels: the canvas's half-block cells, two pixels a cell.
public struct MapPainting: Sendable {
    /// One class the brush can paint: its flat colour and where it came from.
    public struct Colour: Sendable, Equatable {
        public let hex: String
        public let name: String
        public let rgb: [Int]
        /// False for a class of the loaded map that the style map lacks.
        public let inStyle: Bool

        public init(hex: String, name: String, rgb: [Int], inStyle: Bool) {
            self.hex = hex
            self.name = name
            self.rgb = rgb
            self.inStyle = inStyle
        }
    }

    public enum Tool: String, CaseIterable, Sendable {
        case brush, line, rectangle, fill
    }

    public static let brushSizes = 1...15
    /// Undo steps kept (each a copy of the labels).
    public static let undoDepth = 40

    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var palette: [Colour]
    /// Row-major palette indices, `width * height`.
    public private(set) var labels: [UInt8]
    /// The class the tools paint with.
    public private(set) var current = 0
    public private(set) var tool: Tool = .brush
    /// Brush diameter in display pixels.
    public private(set) var brushSize = 1
    /// The cursor, in map pixels (display positions are derived from the grid in use).
    public private(set) var cursor: (x: Int, y: Int)
    /// The first corner of a line or rectangle being drawn, in map pixels.
    public private(set) var anchor: (x: Int, y: Int)?
    /// Freehand with keys: while down, each cursor move paints.
    public private(set) var penDown = false
    /// Changes not saved yet.
    public private(set) var unsavedChanges = false
    private var undoStack: [[UInt8]] = []
    private var redoStack: [[UInt8]] = []

    /// A canvas of `width x height` filled with the palette's first class.
    public init(width: Int, height: Int, palette: [Colour]) {
        precondition(width > 0 && height > 0 && !palette.isEmpty && palette.count <= 256)
        self.width = width
        self.height = height
        self.palette = palette
        labels = [UInt8](repeating: 0, count: width * height)
        cursor = (width / 2, height / 2)
    }

    /// A canvas holding `map`, each pixel snapped to the nearest palette colour (anti-aliased
    /// edges and JPEG noise go to a neighbouring class).
    public init(map: Image, palette: [Colour]) {
        self.init(width: map.width, height: map.height, palette: palette)
        let plane = width * height
        let colours = palette.map { $0.rgb.map(Float.init) }
        var cache: [[Float]: UInt8] = [:]
        for i in 0..<plane {
            let pixel = (0..<3).map { map.pixels[min($0, map.channels - 1) * plane + i] }
            if let known = cache[pixel] { labels[i] = known; continue }
            var best = 0, bestDistance = Float.infinity
            for (k, c) in colours.enumerated() {
                let d = (0..<3).reduce(Float(0)) { $0 + (pixel[$1] - c[$1]) * (pixel[$1] - c[$1]) }
                if d < bestDistance { best = k; bestDistance = d }
            }
            labels[i] = UInt8(best)
            if cache.count < 4096 { cache[pixel] = UInt8(best) }
        }
    }

    /// The classes to paint with: the style map's (what a render can paint), then those of
    /// `map` the style map lacks; without maps, `fallbackCount` spare colours.
    public static func palette(style: [LegendEntry], map: [LegendEntry], fallbackCount: Int = 6) -> [Colour] {
        var colours = style.map { Colour(hex: $0.hex, name: $0.name, rgb: [$0.red, $0.green, $0.blue], inStyle: true) }
        for entry in map where !colours.contains(where: { $0.hex == entry.hex }) {
            colours.append(Colour(hex: entry.hex, name: entry.name, rgb: [entry.red, entry.green, entry.blue], inStyle: style.isEmpty))
        }
        if colours.isEmpty {
            colours = MapFromImage.palette.prefix(fallbackCount).enumerated().map { i, rgb in
                Colour(hex: MapClass(id: 0, colour: rgb.map(Float.init)).hex, name: "class \(i + 1)", rgb: rgb, inStyle: true)
            }
        }
        return Array(colours.prefix(256))
    }

    public subscript(x: Int, y: Int) -> Int { Int(labels[y * width + x]) }

    /// The map as an RGB image of the palette's colours.
    public var image: Image {
        let plane = width * height
        var pixels = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            let rgb = palette[Int(labels[i])].rgb
            for c in 0..<3 { pixels[c * plane + i] = Float(rgb[c]) }
        }
        return Image(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Each class's share of the map's pixels.
    public var shares: [Double] {
        var counts = [Int](repeating: 0, count: palette.count)
        for l in labels { counts[Int(l)] += 1 }
        return counts.map { Double($0) / Double(labels.count) }
    }

    public var canUndo: Bool { !undoStack.isEmpty }
    public var canRedo: Bool { !redoStack.isEmpty }

    // MARK: Settings

    public mutating func choose(colour index: Int) {
        guard palette.indices.contains(index) else { return }
        current = index
    }

    public mutating func choose(tool: Tool) {
        self.tool = tool
        anchor = nil
        penDown = false
    }

    public mutating func changeBrush(by delta: Int) {
        brushSize = min(max(brushSize + delta, Self.brushSizes.lowerBound), Self.brushSizes.upperBound)
    }

    public mutating func markSaved() { unsavedChanges = false }

    /// Cancels a line or rectangle under way and lifts the pen; false when there was neither.
    public mutating func cancelShape() -> Bool {
        defer { anchor = nil; penDown = false }
        return anchor != nil || penDown
    }

    // MARK: Editing through the grid

    /// Moves the cursor by whole display pixels; with the pen down, the brush paints the way.
    public mutating func moveCursor(dx: Int, dy: Int, grid: PaintGrid) {
        let (px, py) = grid.displayPixel(of: cursor)
        let to = (min(max(px + dx, 0), grid.columns - 1), min(max(py + dy, 0), grid.pixelRows - 1))
        if penDown && tool == .brush { strokeLine(from: (px, py), to: to, grid: grid) }
        cursor = grid.centre(of: to)
    }

    /// Puts the cursor on a display pixel (the mouse).
    public mutating func placeCursor(atDisplay pixel: (x: Int, y: Int), grid: PaintGrid) {
        cursor = grid.centre(of: (min(max(pixel.x, 0), grid.columns - 1), min(max(pixel.y, 0), grid.pixelRows - 1)))
    }

    /// Space: what the tool does at the cursor. The brush paints and puts the pen down (or lifts
    /// it); a line or rectangle takes its first corner, then is drawn to the second; fill fills.
    public mutating func apply(grid: PaintGrid) {
        let here = grid.displayPixel(of: cursor)
        switch tool {
        case .brush:
            if penDown { penDown = false; return }
            checkpoint()
            stamp(at: here, grid: grid)
            penDown = true
        case .line, .rectangle:
            guard let start = anchor else { anchor = cursor; return }
            checkpoint()
            let from = grid.displayPixel(of: start)
            if tool == .line { strokeLine(from: from, to: here, grid: grid) } else { fillRectangle(from, here, grid: grid) }
            anchor = nil
        case .fill:
            checkpoint()
            floodFill(from: cursor)
        }
    }

    /// A mouse press on a display pixel (the cell's upper pixel; a brush paints both of the cell's).
    public mutating func press(atDisplay pixel: (x: Int, y: Int), grid: PaintGrid) {
        placeCursor(atDisplay: pixel, grid: grid)
        switch tool {
        case .brush:
            checkpoint()
            stampCell(at: pixel, grid: grid)
        case .line, .rectangle:
            anchor = cursor
        case .fill:
            checkpoint()
            floodFill(from: cursor)
        }
    }

    /// The mouse moved with the button down.
    public mutating func drag(toDisplay pixel: (x: Int, y: Int), grid: PaintGrid) {
        let from = grid.displayPixel(of: cursor)
        placeCursor(atDisplay: pixel, grid: grid)
        guard tool == .brush else { return }
        for p in Self.linePixels(from: from, to: pixel) { stampCell(at: p, grid: grid) }
    }

    /// The button went up: a line or rectangle is drawn to here.
    public mutating func release(atDisplay pixel: (x: Int, y: Int), grid: PaintGrid) {
        placeCursor(atDisplay: pixel, grid: grid)
        guard tool == .line || tool == .rectangle, let start = anchor else { return }
        checkpoint()
        let from = grid.displayPixel(of: start), to = grid.displayPixel(of: cursor)
        if tool == .line { strokeLine(from: from, to: to, grid: grid) } else { fillRectangle(from, (to.x, to.y + 1), grid: grid) }
        anchor = nil
    }

    /// Takes another painting's pixels and palette as one undoable edit (a map made or opened
    /// while painting). Sizes may differ: the undo history is dropped then.
    public mutating func replace(with other: MapPainting) {
        guard other.width == width, other.height == height, other.palette == palette else {
            let (tool, brushSize, current) = (self.tool, self.brushSize, self.current)
            self = other
            (self.tool, self.brushSize) = (tool, brushSize)
            if palette.indices.contains(current) { self.current = current }
            unsavedChanges = true
            return
        }
        checkpoint()
        labels = other.labels
    }

    /// Paints the whole map with the current class.
    public mutating func clear() {
        checkpoint()
        labels = [UInt8](repeating: UInt8(current), count: labels.count)
    }

    public mutating func undo() {
        guard let previous = undoStack.popLast() else { return }
        redoStack.append(labels)
        labels = previous
        unsavedChanges = true
        penDown = false
    }

    public mutating func redo() {
        guard let next = redoStack.popLast() else { return }
        undoStack.append(labels)
        labels = next
        unsavedChanges = true
    }

    /// The display pixels a line or rectangle under way would cover (for the preview).
    public func pendingShape(grid: PaintGrid) -> [(x: Int, y: Int)] {
        guard let start = anchor else { return [] }
        let a = grid.displayPixel(of: start), b = grid.displayPixel(of: cursor)
        if tool == .line { return Self.linePixels(from: a, to: b).flatMap { brushPixels(at: $0) } }
        var out: [(x: Int, y: Int)] = []
        for y in min(a.y, b.y)...max(a.y, b.y) { for x in min(a.x, b.x)...max(a.x, b.x) { out.append((x, y)) } }
        return out
    }

    // MARK: Kernels

    private mutating func checkpoint() {
        undoStack.append(labels)
        if undoStack.count > Self.undoDepth { undoStack.removeFirst() }
        redoStack.removeAll()
        unsavedChanges = true
    }

    /// The display pixels under a brush centred on `p`: a disc of `brushSize` across.
    func brushPixels(at p: (x: Int, y: Int)) -> [(x: Int, y: Int)] {
        let size = brushSize
        let centre = Double(size - 1) / 2, radius = Double(size) / 2
        var out: [(x: Int, y: Int)] = []
        for j in 0..<size {
            for i in 0..<size {
                let dx = Double(i) - centre, dy = Double(j) - centre
                guard dx * dx + dy * dy <= radius * radius + 0.25 else { continue }
                out.append((p.x + i - (size - 1) / 2, p.y + j - (size - 1) / 2))
            }
        }
        return out
    }

    private mutating func paint(display p: (x: Int, y: Int), grid: PaintGrid) {
        guard p.x >= 0, p.y >= 0, p.x < grid.columns, p.y < grid.pixelRows else { return }
        let (xs, ys) = grid.mapRect(of: p)
        let value = UInt8(current)
        for y in ys { for x in xs { labels[y * width + x] = value } }
    }

    private mutating func stamp(at p: (x: Int, y: Int), grid: PaintGrid) {
        for q in brushPixels(at: p) { paint(display: q, grid: grid) }
    }

    /// A mouse stamp covers the cell's two pixels.
    private mutating func stampCell(at p: (x: Int, y: Int), grid: PaintGrid) {
        stamp(at: p, grid: grid)
        stamp(at: (p.x, p.y + 1), grid: grid)
    }

    private mutating func strokeLine(from a: (x: Int, y: Int), to b: (x: Int, y: Int), grid: PaintGrid) {
        for p in Self.linePixels(from: a, to: b) { stamp(at: p, grid: grid) }
    }

    private mutating func fillRectangle(_ a: (x: Int, y: Int), _ b: (x: Int, y: Int), grid: PaintGrid) {
        for y in min(a.y, b.y)...max(a.y, b.y) { for x in min(a.x, b.x)...max(a.x, b.x) { paint(display: (x, y), grid: grid) } }
    }

    /// Bresenham's line, both ends included.
    static func linePixels(from a: (x: Int, y: Int), to b: (x: Int, y: Int)) -> [(x: Int, y: Int)] {
        var (x, y) = a
        let dx = abs(b.x - a.x), dy = -abs(b.y - a.y)
        let sx = a.x < b.x ? 1 : -1, sy = a.y < b.y ? 1 : -1
        var error = dx + dy
        var out: [(x: Int, y: Int)] = []
        while true {
            out.append((x, y))
            if x == b.x && y == b.y { return out }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }

    /// The 4-connected region of map pixels of the start's class becomes the current class.
    private mutating func floodFill(from start: (x: Int, y: Int)) {
        let target = labels[start.y * width + start.x], value = UInt8(current)
        guard target != value else { return }
        var stack = [start.y * width + start.x]
        labels[stack[0]] = value
        while let i = stack.popLast() {
            let x = i % width, y = i / width
            for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < width && ny < height {
                let j = ny * width + nx
                if labels[j] == target { labels[j] = value; stack.append(j) }
            }
        }
    }
}

/// How a painting's map pixels meet the display: `columns x pixelRows` display pixels (two
/// rows of them per terminal row) over `mapWidth x mapHeight` map pixels.
public struct PaintGrid: Sendable, Equatable {
    public let columns: Int
    public let pixelRows: Int
    public let mapWidth: Int
    public let mapHeight: Int

    /// The largest grid with the map's aspect ratio in `maxColumns x maxRows` cells.
    public init(mapWidth: Int, mapHeight: Int, maxColumns: Int, maxRows: Int) {
        let size = Thumbnail.size(width: mapWidth, height: mapHeight, maxColumns: maxColumns, maxRows: maxRows)
        self.mapWidth = mapWidth
        self.mapHeight = mapHeight
        // Never finer than the map itself.
        columns = min(size.columns, mapWidth)
        pixelRows = min(2 * size.rows, mapHeight)
    }

    public var rows: Int { (pixelRows + 1) / 2 }

    /// The map pixels a display pixel covers.
    public func mapRect(of p: (x: Int, y: Int)) -> (Range<Int>, Range<Int>) {
        let x0 = p.x * mapWidth / columns, x1 = (p.x + 1) * mapWidth / columns
        let y0 = p.y * mapHeight / pixelRows, y1 = (p.y + 1) * mapHeight / pixelRows
        return (x0..<max(x1, x0 + 1), y0..<max(y1, y0 + 1))
    }

    public func centre(of p: (x: Int, y: Int)) -> (x: Int, y: Int) {
        let (xs, ys) = mapRect(of: p)
        return ((xs.lowerBound + xs.upperBound - 1) / 2, (ys.lowerBound + ys.upperBound - 1) / 2)
    }

    /// The display pixel whose `mapRect` holds the map pixel (the unique p with
    /// p * mapSize < (x + 1) * count <= (p + 1) * mapSize).
    public func displayPixel(of mapPixel: (x: Int, y: Int)) -> (x: Int, y: Int) {
        (((mapPixel.x + 1) * columns - 1) / mapWidth, ((mapPixel.y + 1) * pixelRows - 1) / mapHeight)
    }
}
