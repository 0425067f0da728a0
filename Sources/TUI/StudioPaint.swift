import Doodle
import Foundation

/// The studio's paint screen: the painting, the file it is saved to, and what is pending.
public struct PaintSession: Sendable {
    public internal(set) var painting: MapPainting
    /// Where s and Enter save the map.
    public let path: String
    /// The file at `path` was written by this session: saving again replaces it without asking.
    var ownsFile = false
    /// Waiting for y to replace a file at `path` this session did not write.
    public internal(set) var confirmingOverwrite = false
    /// Enter was pressed: after the save (and the end of a run going), a run starts.
    var renderAfterSave = false
}

/// Where the paint screen's parts are, for the view and for mouse clicks alike.
public struct PaintLayout: Sendable {
    public static let sidebarWidth = 30
    public let canvasBox: StudioView.Rect
    public let grid: PaintGrid
    /// The top-left cell of the painted grid.
    public let origin: (x: Int, y: Int)
    public let paletteBox: StudioView.Rect
    public let toolBox: StudioView.Rect
    public let imageBox: StudioView.Rect

    public init(width: Int, height: Int, painting: MapPainting) {
        let bodyHeight = height - 3
        canvasBox = .init(x: 0, y: 1, width: width - Self.sidebarWidth, height: bodyHeight)
        grid = PaintGrid(mapWidth: painting.width, mapHeight: painting.height,
                         maxColumns: max(1, canvasBox.width - 2), maxRows: max(1, canvasBox.height - 2))
        origin = (1 + (canvasBox.width - 2 - grid.columns) / 2, 2)
        let x = canvasBox.width, sidebarHeight = bodyHeight
        let paletteHeight = min(painting.palette.count + 2, max(3, sidebarHeight - 9))
        paletteBox = .init(x: x, y: 1, width: Self.sidebarWidth, height: paletteHeight)
        toolBox = .init(x: x, y: 1 + paletteHeight, width: Self.sidebarWidth, height: 4)
        imageBox = .init(x: x, y: 5 + paletteHeight, width: Self.sidebarWidth, height: max(0, sidebarHeight - paletteHeight - 4))
    }

    /// The display pixel under a cell (its upper pixel), if the cell is on the painted grid.
    public func displayPixel(cellX: Int, cellY: Int) -> (x: Int, y: Int)? {
        let x = cellX - origin.x, row = cellY - origin.y
        guard x >= 0, row >= 0, x < grid.columns, row < grid.rows else { return nil }
        return (x, 2 * row)
    }

    /// The palette entry listed on a row of the palette box.
    public func paletteIndex(cellX: Int, cellY: Int) -> Int? {
        let row = cellY - paletteBox.y - 1
        guard cellX >= paletteBox.x, cellX < paletteBox.x + paletteBox.width, row >= 0, row < paletteBox.height - 2 else { return nil }
        return row
    }
}

extension StudioModel {
    /// The folder-relative file a painting is saved to: OUTPUT_sem.png, where `doodle render`
    /// looks for the output's map.
    var paintPath: String { ResolvedJob.besidePath(parameters.output, ext: semanticSuffix) }

    /// The grid the keys move on, at the current screen size.
    var paintLayout: PaintLayout? {
        paint.map { PaintLayout(width: screenSize.width, height: screenSize.height, painting: $0.painting) }
    }

    /// p: the paint screen. It opens on the painting left there, else on the target map
    /// (snapped to the style map's classes), else on an empty canvas at the output's size.
    public func openPaint() {
        revision += 1
        if paint == nil { paint = PaintSession(painting: newPainting(from: inputs[.targetMap]?.image), path: paintPath) }
        paintOpen = true
        setStatus("painting \(paint!.painting.width)x\(paint!.painting.height): arrows move, space paints, 1-9 pick a class, Enter renders, ? keys", .info)
    }

    func newPainting(from map: Image?) -> MapPainting {
        let palette = MapPainting.palette(style: legend.style, map: map == nil ? [] : legend.target)
        if let map { return MapPainting(map: map, palette: palette) }
        let size = parameters.outputSize ?? automaticSize ?? (512, 384)
        return MapPainting(width: size.width, height: size.height, palette: palette)
    }

    func handlePaint(_ key: Key) {
        guard var session = paint, let layout = paintLayout else { paintOpen = false; return }
        if session.confirmingOverwrite {
            session.confirmingOverwrite = false
            paint = session
            if key == .char("y") || key == .char("Y") { savePainting(overwrite: true) } else {
                paint?.renderAfterSave = false
                setStatus("not saved: '\(session.path)' kept", .info)
            }
            return
        }
        let grid = layout.grid
        var p = session.painting
        switch key {
        case .up: p.moveCursor(dx: 0, dy: -1, grid: grid)
        case .down: p.moveCursor(dx: 0, dy: 1, grid: grid)
        case .left: p.moveCursor(dx: -1, dy: 0, grid: grid)
        case .right: p.moveCursor(dx: 1, dy: 0, grid: grid)
        case .shiftUp: p.moveCursor(dx: 0, dy: -4, grid: grid)
        case .shiftDown: p.moveCursor(dx: 0, dy: 4, grid: grid)
        case .shiftLeft: p.moveCursor(dx: -4, dy: 0, grid: grid)
        case .shiftRight: p.moveCursor(dx: 4, dy: 0, grid: grid)
        case .char(" "): p.apply(grid: grid)
        case .char(let c) where c.isASCII && c.isNumber:
            let index = c == "0" ? 9 : Int(String(c))! - 1
            if index < p.palette.count { p.choose(colour: index) }
        case .tab: p.choose(colour: (p.current + 1) % p.palette.count)
        case .backTab: p.choose(colour: (p.current + p.palette.count - 1) % p.palette.count)
        case .char("b"): p.choose(tool: .brush)
        case .char("l"): p.choose(tool: .line)
        case .char("r"): p.choose(tool: .rectangle)
        case .char("f"): p.choose(tool: .fill)
        case .char("["), .char("-"): p.changeBrush(by: -1)
        case .char("]"), .char("+"), .char("="): p.changeBrush(by: 1)
        case .char("u"): p.undo()
        case .char("U"), .control("r"): p.redo()
        case .char("n"): p.clear()
        case .char("s"): session.painting = p; paint = session; savePainting(overwrite: false); return
        case .enter: session.painting = p; session.renderAfterSave = true; paint = session; savePainting(overwrite: false); return
        case .char("o"): paint = session; paintFromFile = true; openBrowser(for: .targetMap); return
        case .char("i"): paint = session; makeMapOfContent(); return
        case .char("q"): requestQuit(); return
        case .char("?"): showHelp(); return
        case .escape:
            if !p.cancelShape() {
                paintOpen = false
                setStatus("paint closed\(p.unsavedChanges ? " (not saved; p goes back)" : ""); p paints again", .info)
            }
        default: return
        }
        session.painting = p
        paint = session
    }

    public func handle(mouse: MouseEvent) {
        revision += 1
        guard paintOpen, browser == nil, !showingHelp, var session = paint, let layout = paintLayout else { return }
        if mouse.kind == .press, let index = layout.paletteIndex(cellX: mouse.x, cellY: mouse.y) {
            session.painting.choose(colour: index)
        } else if let pixel = layout.displayPixel(cellX: mouse.x, cellY: mouse.y)
                    ?? clampedPixel(mouse, layout, dragging: mouse.kind != .press) {
            switch mouse.kind {
            case .press: session.painting.press(atDisplay: pixel, grid: layout.grid)
            case .drag: session.painting.drag(toDisplay: pixel, grid: layout.grid)
            case .release: session.painting.release(atDisplay: pixel, grid: layout.grid)
            }
        }
        paint = session
    }

    /// A drag or release just off the canvas ends on its edge.
    private func clampedPixel(_ mouse: MouseEvent, _ layout: PaintLayout, dragging: Bool) -> (x: Int, y: Int)? {
        guard dragging else { return nil }
        let x = min(max(mouse.x - layout.origin.x, 0), layout.grid.columns - 1)
        let row = min(max(mouse.y - layout.origin.y, 0), layout.grid.rows - 1)
        return (x, min(2 * row, layout.grid.pixelRows - 1))
    }

    /// After `o` picked a map in the chooser: the canvas holds it.
    func paintPicked(_ map: Image?) {
        paintFromFile = false
        guard var session = paint else { return }
        guard let map else { paintOpen = true; return }
        session.painting.replace(with: newPainting(from: map))
        session.ownsFile = false
        paint = session
        paintOpen = true
    }

    /// i: a map of the content image, as `doodle map from-image` makes it with as many classes as
    /// the style map has, recoloured by `doodle map match` (regions paired by their looks), becomes
    /// the canvas. It runs off the UI thread; runs and map-making do not share the network.
    func makeMapOfContent() {
        guard let content = inputs[.content]?.image, let contentPath = inputs[.content]?.path else {
            setStatus("i makes a map of the content image: choose one in the Inputs pane first (Esc, then Content)", .error)
            return
        }
        guard let styleMap = inputs[.styleMap]?.image, let style = inputs[.style]?.image else {
            setStatus("i pairs the map's classes with the style map's: choose a style image and its map first", .error)
            return
        }
        guard let makeMap else { setStatus("no map maker in this studio", .error); return }
        guard !runState.isActive else { setStatus("a run is going: stop it first (Esc, then s), then i", .error); return }
        guard !makingMap else { return }
        makingMap = true
        let classes = min(max(legend.style.count, MapFromImage.classRange.lowerBound), MapFromImage.classRange.upperBound)
        let weights = weightsPath, inbox = self.inbox, styleName = inputs[.styleMap]?.path ?? "style map"
        setStatus("making a map of \(contentPath) with \(classes) classes…", .info)
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                let made = try makeMap(content, classes, weights)
                let (map, pairs) = try MapMatching.match(style: styleMap, target: made, styleImage: style, targetImage: content,
                                                         names: (styleName, contentPath))
                let lines = pairs.map { "\($0.target.hex) (\(MapPalette.percent($0.targetShare))) -> \($0.style.hex) \($0.style.shortName)" }
                inbox.post(.paintMapMade(map: map, pairs: lines, error: nil))
            } catch {
                inbox.post(.paintMapMade(map: nil, pairs: [], error: "\(error)"))
            }
        }
    }

    func receivePaintMap(_ map: Image?, pairs: [String], error: String?) {
        makingMap = false
        guard let map, var session = paint else {
            setStatus("could not make a map: \(error ?? "no painting")", .error)
            return
        }
        session.painting.replace(with: newPainting(from: map))
        paint = session
        note("map of the content image, classes paired by their looks: " + pairs.joined(separator: ", "), .info)
        setStatus("the canvas holds a map of the content image (u undoes it); repaint what is wrong, Enter renders", .success)
    }

    /// s (and Enter): the map as a PNG at the session's path, which becomes the target map.
    func savePainting(overwrite: Bool) {
        guard var session = paint else { return }
        let path = session.path
        if !overwrite && !session.ownsFile && FileManager.default.fileExists(atPath: path) {
            session.confirmingOverwrite = true
            paint = session
            setStatus("'\(path)' exists: replace it with the painting? y replaces, any other key keeps it", .prompt)
            return
        }
        do {
            try session.painting.image.writePNG(to: path, protecting: [inputs[.style]?.path, inputs[.content]?.path,
                                                                   inputs[.styleMap]?.path].compactMap { $0 })
        } catch {
            session.renderAfterSave = false
            paint = session
            setStatus("could not save the painting: \(error)", .error)
            return
        }
        session.ownsFile = true
        session.painting.markSaved()
        let render = session.renderAfterSave
        session.renderAfterSave = false
        paint = session
        let painting = session.painting
        // The slot takes the painting without reading the file back.
        setTargetMap(path: path, image: painting.image)
        note("painted map saved: \(path) (\(painting.width)x\(painting.height))", .success)
        guard render else { setStatus("saved \(path); Enter renders it", .success); return }
        if runState.isActive {
            pendingPaintRender = true
            stopRun()
            setStatus("saved \(path); the run going stops, then the painting renders", .info)
        } else {
            startRun()
            paintOpen = true
        }
    }

    /// Called when a run's final image is written: a render asked for meanwhile starts.
    func startPendingPaintRender() {
        guard pendingPaintRender else { return }
        pendingPaintRender = false
        startRun()
        paintOpen = paint != nil
    }
}
