import Doodle
import Foundation

/// Draws a `StudioModel` into a `Canvas`: title bar, the pane, status line and key bar.
public final class StudioView {
    public let unicode: Bool
    public let thumbnailMode: ThumbnailMode
    private var thumbnails: [String: Thumbnail] = [:]
    private let formatter: DateFormatter = {
        let f = DateFormatter()
        f.dateFormat = "HH:mm:ss"
        return f
    }()

    public init(unicode: Bool, thumbnailMode: ThumbnailMode) {
        self.unicode = unicode
        self.thumbnailMode = unicode ? thumbnailMode : .ascii
    }

    // MARK: Styles

    enum Theme {
        static let bar = CellStyle(reverse: true)
        static let barBold = CellStyle(bold: true, reverse: true)
        static let activeTab = CellStyle(foreground: 0, background: 6, bold: true)
        static let frame = CellStyle(dim: true)
        static let focusFrame = CellStyle(foreground: 6, bold: true)
        static let selected = CellStyle(reverse: true)
        static let muted = CellStyle(dim: true)
        static let bold = CellStyle(bold: true)
        static let error = CellStyle(foreground: 1, bold: true)
        static let warning = CellStyle(foreground: 3, bold: true)
        static let success = CellStyle(foreground: 2)
        static let prompt = CellStyle(foreground: 0, background: 3, bold: true)
        static let key = CellStyle(bold: true, reverse: true)
        static let field = CellStyle(underline: true)

        static func tone(_ t: StudioModel.Tone) -> CellStyle {
            switch t {
            case .info: return .plain
            case .success: return success
            case .warning: return warning
            case .error: return error
            case .prompt: return prompt
            }
        }
    }

    private var up: String { unicode ? "↑" : "Up" }
    private var down: String { unicode ? "↓" : "Dn" }
    private var leftRight: String { unicode ? "←→" : "Left/Right" }
    private var upDown: String { unicode ? "↑↓" : "Up/Dn" }
    private var pointer: String { unicode ? "▸" : ">" }

    // MARK: - Screen

    public func render(_ model: StudioModel, width: Int, height: Int) -> Canvas {
        var canvas = Canvas(width: width, height: height, unicode: unicode)
        if width < StudioModel.minimumWidth || height < StudioModel.minimumHeight {
            drawTooSmall(model, &canvas)
            return canvas
        }
        drawTitle(model, &canvas)
        let body = Rect(x: 0, y: 1, width: width, height: height - 3)
        if model.browser != nil {
            drawBrowser(model, &canvas, body)
        } else if model.paintOpen {
            drawPaint(model, &canvas)
        } else {
            switch model.pane {
            case .inputs: drawInputs(model, &canvas, body)
            case .parameters: drawParameters(model, &canvas, body)
            case .run: drawRun(model, &canvas, body)
            }
        }
        if model.savePrompt != nil || model.confirmingOverwrite != nil { drawSavePrompt(model, &canvas, body) }
        if model.showingHelp { drawHelp(&canvas, body, columns: model.paintOpen ? paintHelpColumns() : helpColumns()) }
        drawStatus(model, &canvas, y: height - 2)
        drawKeys(model, &canvas, y: height - 1)
        return canvas
    }

    public struct Rect: Sendable { public var x: Int, y: Int, width: Int, height: Int }

    private func drawTooSmall(_ model: StudioModel, _ canvas: inout Canvas) {
        var lines = [
            "doodle studio needs a terminal of at least \(StudioModel.minimumWidth)x\(StudioModel.minimumHeight);",
            "this one is \(canvas.width)x\(canvas.height).",
            "Enlarge the window, or press q to quit.",
        ]
        if model.runState.isActive { lines.append("(the run goes on: \(model.runSummary))") }
        if model.confirmingQuit { lines.append("Quit and lose the run? y / any other key") }
        var wrapped: [String] = []
        for line in lines { wrapped += TextWidth.wrap(line, width: max(1, canvas.width - 2)) }
        let top = max(0, (canvas.height - wrapped.count) / 2)
        for (i, line) in wrapped.enumerated() {
            let x = max(0, (canvas.width - TextWidth.of(line)) / 2)
            canvas.put(line, x: x, y: top + i, style: i == 0 ? Theme.warning : .plain)
        }
    }

    private func drawTitle(_ model: StudioModel, _ canvas: inout Canvas) {
        canvas.fill(x: 0, y: 0, width: canvas.width, height: 1, style: Theme.bar)
        var x = canvas.put(" doodle studio ", x: 0, y: 0, style: Theme.barBold)
        for pane in StudioModel.Pane.allCases {
            let label = " \(pane.rawValue + 1) \(pane.title) "
            x += canvas.put(label, x: x + 1, y: 0, style: pane == model.pane ? Theme.activeTab : Theme.bar) + 1
        }
        let room = canvas.width - x - 2
        var summary = " " + model.runSummary + " "
        if TextWidth.of(summary) > room { summary = " " + model.runSummaryShort + " " }
        if room > 8 {
            let shown = TextWidth.truncate(summary, to: room, ellipsis: canvas.ellipsis)
            canvas.put(shown, x: canvas.width - TextWidth.of(shown), y: 0, style: Theme.barBold)
        }
    }

    private func drawStatus(_ model: StudioModel, _ canvas: inout Canvas, y: Int) {
        if model.editBuffer != nil, model.browser == nil {
            let p = model.parameters.selected
            canvas.put(TextWidth.truncate("\(p.label): \(model.parameters.rangeDescription(p.id)) · Enter sets, Esc cancels",
                                          to: canvas.width, ellipsis: canvas.ellipsis), x: 0, y: y, style: Theme.muted)
            if let status = model.status, status.tone == .error {
                canvas.fill(x: 0, y: y, width: canvas.width, height: 1)
                canvas.put(TextWidth.truncate(status.text, to: canvas.width, ellipsis: canvas.ellipsis), x: 0, y: y, style: Theme.error)
            }
            return
        }
        guard let status = model.status else {
            canvas.put("? for help", x: 0, y: y, style: Theme.muted)
            return
        }
        let text = TextWidth.truncate(status.text, to: canvas.width, ellipsis: canvas.ellipsis)
        if status.tone == .prompt { canvas.fill(x: 0, y: y, width: canvas.width, height: 1, style: Theme.prompt) }
        canvas.put(text, x: 0, y: y, style: Theme.tone(status.tone))
    }

    /// The keys of the current context, as many as fit (help and quit always).
    func keys(_ model: StudioModel) -> [(String, String)] {
        if model.confirmingQuit { return [("y", "quit"), ("any other key", "keep running")] }
        if model.showingHelp { return [("any key", "close help")] }
        if model.confirmingOverwrite != nil { return [("y", "overwrite"), ("any other key", "change the name")] }
        if model.savePrompt != nil { return [("Enter", "save"), ("Esc", "cancel"), ("Bksp", "delete"), ("^U", "clear")] }
        if model.editBuffer != nil { return [("Enter", "set"), ("Esc", "cancel"), ("Bksp", "delete"), ("^U", "clear")] }
        if model.paint?.confirmingOverwrite == true, model.paintOpen { return [("y", "replace"), ("any other key", "keep it")] }
        if model.paintOpen && model.browser == nil {
            return [(unicode ? "←↑↓→" : "arrows", "move"), ("space", "paint"), ("1-9", "class"), ("b l r f", "tool"),
                    ("[ ]", "size"), ("u U", "undo/redo"), ("s", "save"), ("Enter", "render"), ("Esc", "close"), ("?", "help")]
                .filter { !(model.paint?.painting.tool == .fill && $0.1 == "size") }
        }
        if let b = model.browser {
            if b.showingRecent {
                return [(upDown, "move"), ("Enter", "open folder"), ("Tab", "files"), ("Esc", "back")]
            }
            return [("type", "filter"), (upDown, "move"), ("Enter", "open/pick"), (unicode ? "←" : "Left", "parent"),
                    ("Tab", "recent folders"), ("Esc", b.query.isEmpty ? "cancel" : "clear")]
        }
        // l is refused during a run (the settings are fixed then); S saves at any time.
        let presets: [(String, String)] = model.runState.isActive ? [("S", "save preset")] : [("l S", "load/save preset")]
        let tail: [(String, String)] = presets + [("?", "help"), ("q", "quit")]
        switch model.pane {
        case .inputs:
            return [("Tab", "pane"), (unicode ? "←↑↓→" : "arrows", "select"), ("Enter", "choose"), ("x", "clear"),
                    ("p", "paint map"), ("r", "run")] + tail
        case .parameters:
            return [("Tab", "pane"), (upDown, "select"), (leftRight + " +-", "step"), ("PgUp/PgDn", "big step"),
                    ("Enter", "type"), ("d", "default"), ("r", "run")] + tail
        case .run:
            return [("Tab", "pane"), ("r", "run"), ("space", "pause/resume"), ("s", "stop"), ("w", "write now"),
                    (upDown, "log")] + tail
        }
    }

    /// Keys dropped first when the bar is too narrow.
    static let expendableKeys = ["pane", "log", "default", "clear", "select", "delete", "recent folders", "parent", "big step",
                                 "move", "size", "close", "undo/redo"]

    private func drawKeys(_ model: StudioModel, _ canvas: inout Canvas, y: Int) {
        var items = keys(model)
        func width(_ list: [(String, String)]) -> Int { list.reduce(0) { $0 + TextWidth.of($1.0) + TextWidth.of($1.1) + 4 } }
        for label in Self.expendableKeys where width(items) > canvas.width { items.removeAll { $0.1 == label } }
        while width(items) > canvas.width && items.count > 2 { items.remove(at: items.count - 3) }
        var x = 0
        for (key, label) in items {
            x += canvas.put(" \(key) ", x: x, y: y, style: Theme.key)
            x += canvas.put(" \(label) ", x: x, y: y)
        }
    }

    // MARK: - Inputs

    private func drawInputs(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        var issues: [(String, CellStyle)] = model.inputProblems.map { ("! " + $0, Theme.error) }
        let missing = model.legend.missing
        if !missing.isEmpty {
            let list = missing.map { "\($0.hex) (\($0.name), \($0.percent))" }.joined(separator: ", ")
            let them = missing.count == 1 ? "it" : "them"
            let fix = model.parameters.allowUnmatched ? "unmatched classes: allow (\(them) get\(missing.count == 1 ? "s" : "") no style)"
                : "paint \(them) in the style map, or set 'unmatched classes' to allow"
            issues.insert(("! the target map has \(missing.count == 1 ? "a class" : "\(missing.count) classes") the style map lacks: \(list); \(fix)",
                           Theme.error), at: 0)
        }
        var issueLines: [(String, CellStyle)] = []
        for (text, style) in issues { issueLines += TextWidth.wrap(text, width: r.width - 1).map { ($0, style) } }
        issueLines = Array(issueLines.prefix(3))
        let bottom = 1 + issueLines.count
        let area = r.height - bottom
        let topHeight = area / 2
        let leftWidth = r.width / 2
        for (row, slots) in StudioModel.slotGrid.enumerated() {
            for (column, slot) in slots.enumerated() {
                let rect = Rect(x: r.x + (column == 0 ? 0 : leftWidth), y: r.y + (row == 0 ? 0 : topHeight),
                                width: column == 0 ? leftWidth : r.width - leftWidth,
                                height: row == 0 ? topHeight : area - topHeight)
                drawSlot(model, slot, &canvas, rect)
            }
        }
        var y = r.y + area
        let summary = model.mode.map { "mode: \($0.rawValue) · size \(model.sizeDescription) · output \(model.parameters.output)" }
            ?? "choose a style image to begin (Enter on 'style image')"
        canvas.put(TextWidth.truncate(summary, to: r.width - 1, ellipsis: canvas.ellipsis), x: r.x + 1, y: y, style: Theme.bold)
        y += 1
        for (line, style) in issueLines {
            canvas.put(line, x: r.x + 1, y: y, style: style)
            y += 1
        }
    }

    private func drawSlot(_ model: StudioModel, _ slot: InputSlot, _ canvas: inout Canvas, _ r: Rect) {
        let focused = model.selectedSlot == slot
        let title = (focused ? pointer + " " : "") + slot.title.prefix(1).uppercased() + slot.title.dropFirst()
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height, title: title,
                   style: focused ? Theme.focusFrame : Theme.frame, titleStyle: focused ? Theme.focusFrame : Theme.bold)
        let inner = Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
        guard inner.height >= 1 && inner.width >= 4 else { return }
        guard let file = model.inputs[slot] else {
            canvas.put(slot.isOptional ? "(none) · optional" : "(none)", x: inner.x, y: inner.y, style: Theme.muted)
            if focused { canvas.put("Enter: choose a file", x: inner.x, y: inner.y + 1, style: Theme.muted) }
            if slot == .targetMap && inner.height > 3 {
                canvas.put(TextWidth.truncate("the doodle to paint (or the content's map)", to: inner.width, ellipsis: canvas.ellipsis),
                           x: inner.x, y: inner.y + 2, style: Theme.muted)
            }
            return
        }
        canvas.put(TextWidth.truncateLeft(file.path, to: inner.width, ellipsis: canvas.ellipsis), x: inner.x, y: inner.y, style: Theme.bold)
        guard let image = file.image else {
            let lines = TextWidth.wrap(file.error ?? "unreadable", width: inner.width)
            for (i, line) in lines.prefix(inner.height - 1).enumerated() {
                canvas.put(line, x: inner.x, y: inner.y + 1 + i, style: Theme.error)
            }
            return
        }
        var info = "\(image.width)x\(image.height)"
        if let note = file.note { info += " · " + note }
        if inner.height >= 2 {
            canvas.put(TextWidth.truncate(info, to: inner.width, ellipsis: canvas.ellipsis), x: inner.x, y: inner.y + 1, style: Theme.muted)
        }
        let thumbTop = inner.y + 2
        let thumbRows = inner.height - 2
        guard thumbRows >= 1 else { return }
        let entries = slot == .styleMap ? model.legend.style : slot == .targetMap ? model.legend.target : []
        let maxColumns = slot.isMap ? max(4, inner.width - 22) : inner.width
        let thumb = thumbnail(key: "in-\(file.version)", image: image, columns: maxColumns, rows: thumbRows)
        draw(thumb, &canvas, x: inner.x, y: thumbTop)
        if slot.isMap {
            let x = inner.x + thumb.columns + 2
            drawLegend(entries, &canvas, Rect(x: x, y: thumbTop, width: inner.x + inner.width - x, height: thumbRows),
                       checked: slot == .targetMap && model.inputs[.styleMap]?.image != nil)
        }
    }

    private func drawLegend(_ entries: [LegendEntry], _ canvas: inout Canvas, _ r: Rect, checked: Bool) {
        guard r.width >= 8 && r.height >= 1 else { return }
        let shown = entries.count > r.height ? Array(entries.prefix(r.height - 1)) : entries
        for (i, e) in shown.enumerated() {
            let y = r.y + i
            let colour = Int16(Xterm256.index(r: Float(e.red), g: Float(e.green), b: Float(e.blue)))
            canvas.put(unicode ? "██" : "##", x: r.x, y: y, style: CellStyle(foreground: colour))
            let mark = e.missingInStyle ? (unicode ? " ✗" : " X") : ""
            let nameWidth = max(3, r.width - 3 - 7 - TextWidth.of(mark))
            let text = TextWidth.pad(e.name, to: nameWidth, ellipsis: canvas.ellipsis) + String(repeating: " ", count: max(0, 6 - e.percent.count)) + e.percent
            canvas.put(text, x: r.x + 3, y: y, style: e.missingInStyle ? Theme.error : .plain, maxWidth: r.width - 3)
            if !mark.isEmpty { canvas.put(mark, x: r.x + 3 + TextWidth.of(text), y: y, style: Theme.error, maxWidth: r.width - 3 - TextWidth.of(text)) }
        }
        if entries.count > shown.count {
            canvas.put("+\(entries.count - shown.count) more", x: r.x, y: r.y + shown.count, style: Theme.muted)
        }
        if entries.isEmpty { canvas.put("no classes", x: r.x, y: r.y, style: Theme.muted) }
    }

    // MARK: - File chooser

    private func drawBrowser(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        guard let b = model.browser else { return }
        let slot = model.browserSlot?.title ?? "file"
        let title = b.showingRecent ? "Recent folders"
            : b.kind == .presets ? "Load a preset (built-in, or a .yaml file)" : "Choose the \(slot)"
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height,
                   title: title, style: Theme.focusFrame, titleStyle: Theme.focusFrame)
        let inner = Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
        canvas.put(TextWidth.truncateLeft(b.directory, to: inner.width, ellipsis: canvas.ellipsis), x: inner.x, y: inner.y, style: Theme.bold)
        let find = b.query.isEmpty ? "type to filter · a path starting with / or ~ opens it" : b.query
        canvas.put("find: ", x: inner.x, y: inner.y + 1, style: Theme.muted)
        canvas.put(TextWidth.truncateLeft(find, to: inner.width - 8, ellipsis: canvas.ellipsis), x: inner.x + 6, y: inner.y + 1,
                   style: b.query.isEmpty ? Theme.muted : Theme.field)
        if !b.query.isEmpty { canvas.put(unicode ? "▏" : "_", x: inner.x + 6 + min(TextWidth.of(b.query), inner.width - 8), y: inner.y + 1) }
        let listTop = inner.y + 3
        let listHeight = inner.height - 3
        let listWidth = b.showingRecent ? inner.width : max(30, inner.width * 11 / 20)
        guard listHeight >= 1 else { return }
        let names: [(String, String, Bool)]   // text, right column, is folder
        let selection: Int
        if b.showingRecent {
            names = b.recent.folders.map { ($0, "", true) }
            selection = b.recentSelection
        } else {
            names = b.visible.map { e in
                (e.isDirectory ? e.name + "/" : e.name, e.isBuiltin ? "built-in" : e.size.map(Self.bytes) ?? "", e.isDirectory)
            }
            selection = b.selection
        }
        if names.isEmpty {
            let why = b.query.isEmpty ? "no \(b.kind == .presets ? "presets" : "images") or folders here" : FileBrowser.isPathQuery(b.query) ? "Enter opens this path" : "nothing matches '\(b.query)'"
            canvas.put(why, x: inner.x, y: listTop, style: Theme.muted)
        }
        let offset = max(0, min(selection - listHeight / 2, names.count - listHeight))
        for (row, index) in (offset..<min(names.count, offset + listHeight)).enumerated() {
            let (name, right, folder) = names[index]
            let y = listTop + row
            let style: CellStyle = index == selection ? Theme.selected : folder ? Theme.bold : .plain
            let rightWidth = TextWidth.of(right)
            let line = TextWidth.pad((index == selection ? pointer : " ") + " " + name, to: listWidth - rightWidth - 1, ellipsis: canvas.ellipsis)
                + " " + right
            canvas.put(line, x: inner.x, y: y, style: style, maxWidth: listWidth)
        }
        if names.count > listHeight {
            canvas.put("\(selection + 1)/\(names.count)", x: inner.x + listWidth - 8, y: inner.y + 2, style: Theme.muted)
        }
        // Preview of the image under the cursor.
        guard !b.showingRecent else { return }
        let px = inner.x + listWidth + 2
        let pw = inner.x + inner.width - px
        guard pw >= 10 else { return }
        if b.kind == .presets {
            if let p = model.presetPreview {
                var rows: [(String, CellStyle)] = []
                if let error = p.error {
                    rows += TextWidth.wrap(error, width: pw).map { ($0, Theme.error) }
                } else {
                    rows.append(("Enter loads it", Theme.success))
                }
                for line in p.lines.prefix(listHeight) {
                    // Wrapped, keeping the YAML's indentation.
                    let indent = String(line.prefix { $0 == " " }.prefix(max(0, pw - 8)))
                    let wrapped = line.isEmpty ? [""] : TextWidth.wrap(String(line.dropFirst(indent.count)), width: pw - indent.count)
                    rows += wrapped.map { (indent + $0, CellStyle.plain) }
                }
                for (i, row) in rows.prefix(listHeight).enumerated() { canvas.put(row.0, x: px, y: listTop + i, style: row.1, maxWidth: pw) }
            } else if b.selectedEntry?.isDirectory == true {
                canvas.put("folder: Enter or \(unicode ? "→" : "Right") opens it", x: px, y: listTop, style: Theme.muted, maxWidth: pw)
            }
            return
        }
        if let p = model.preview {
            if let image = p.image {
                let t = thumbnail(key: "pv-\(p.path)", image: image, columns: pw, rows: listHeight - 1)
                draw(t, &canvas, x: px, y: listTop)
                let (w, h) = p.size ?? (image.width, image.height)
                canvas.put("\(w)x\(h)", x: px, y: listTop + t.rows, style: Theme.muted)
            } else if let error = p.error {
                for (i, line) in TextWidth.wrap(error, width: pw).prefix(listHeight).enumerated() {
                    canvas.put(line, x: px, y: listTop + i, style: Theme.error)
                }
            } else {
                canvas.put("loading…", x: px, y: listTop, style: Theme.muted)
            }
        } else if b.selectedEntry?.isDirectory == true {
            canvas.put("folder: Enter or \(unicode ? "→" : "Right") opens it", x: px, y: listTop, style: Theme.muted, maxWidth: pw)
        }
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 20 { return String(format: "%.1f MB", Double(n) / Double(1 << 20)) }
        if n >= 1 << 10 { return String(format: "%.0f kB", Double(n) / Double(1 << 10)) }
        return "\(n) B"
    }

    // MARK: - Parameters

    private func drawParameters(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        let editor = model.parameters
        let helpHeight = 3
        let boxHeight = r.height - helpHeight
        canvas.box(x: r.x, y: r.y, width: r.width, height: boxHeight, title: "Parameters", style: Theme.focusFrame, titleStyle: Theme.bold)
        let inner = Rect(x: r.x + 1, y: r.y + 1, width: r.width - 2, height: boxHeight - 2)
        let labelWidth = 19, valueWidth = max(16, min(28, inner.width / 4)), tagWidth = 11
        let rangeWidth = inner.width - 2 - labelWidth - valueWidth - tagWidth - 3
        let count = editor.parameters.count
        let offset = max(0, min(editor.selection - inner.height / 2, count - inner.height))
        for (row, index) in (offset..<min(count, offset + inner.height)).enumerated() {
            let p = editor.parameters[index]
            let y = inner.y + row
            let isSelected = index == editor.selection
            let changed = p.value != p.defaultValue
            var x = inner.x
            canvas.put(isSelected ? pointer + " " : "  ", x: x, y: y, style: Theme.focusFrame)
            x += 2
            canvas.putPadded(p.label, x: x, y: y, width: labelWidth, style: isSelected ? Theme.selected : .plain)
            x += labelWidth + 1
            if isSelected, let buffer = model.editBuffer {
                let shown = TextWidth.truncateLeft(buffer, to: valueWidth - 1, ellipsis: canvas.ellipsis)
                canvas.putPadded(shown + (unicode ? "▏" : "_"), x: x, y: y, width: valueWidth, style: Theme.field)
            } else {
                canvas.putPadded(editor.display(p.id), x: x, y: y, width: valueWidth, style: changed ? Theme.bold : .plain)
            }
            x += valueWidth + 1
            let tag: (String, CellStyle)
            switch p.liveness {
            case .nextEvaluation, .immediate: tag = ("live", Theme.success)
            case .nextPhase: tag = ("next phase", Theme.success)
            case .nextRun: tag = (model.runState.isActive ? "locked" : "", Theme.muted)
            }
            canvas.putPadded(tag.0, x: x, y: y, width: tagWidth, style: tag.1)
            x += tagWidth + 1
            if rangeWidth > 6 {
                canvas.putPadded(editor.rangeDescription(p.id), x: x, y: y, width: rangeWidth, style: Theme.muted)
            }
        }
        let p = editor.selected
        let y = r.y + boxHeight
        var help = "\(p.label): \(p.help)"
        if p.liveness == .nextEvaluation { help += " Changes during a run apply at the next evaluation." }
        if p.liveness == .nextPhase { help += " Changes during a run apply from the next phase." }
        let lines = TextWidth.wrap(help, width: r.width - 2)
        for (i, line) in lines.prefix(2).enumerated() { canvas.put(line, x: r.x + 1, y: y + i) }
        let meta = "flag \(p.flag) · default \(p.defaultValue?.text ?? (p.id == .outputSize ? "auto" : "none"))"
        canvas.put(TextWidth.truncate(meta, to: r.width - 2, ellipsis: canvas.ellipsis), x: r.x + 1, y: y + 2, style: Theme.muted)
    }

    // MARK: - Run

    private func drawRun(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        // Stats and image on top (more room for the image on tall terminals), then the
        // sparkline, then the log.
        let topHeight = max(9, min(r.height - 10, r.height * 3 / 5))
        let statsWidth = min(46, r.width / 2)
        drawStats(model, &canvas, Rect(x: r.x, y: r.y, width: statsWidth, height: topHeight))
        drawImage(model, &canvas, Rect(x: r.x + statsWidth, y: r.y, width: r.width - statsWidth, height: topHeight))
        let sparkY = r.y + topHeight
        let history = model.lossHistory
        var title = "total loss"
        if let first = history.first, let last = history.last {
            title += String(format: " %.4g -> %.4g (log scale, last %d)", first, last, min(history.count, r.width - 2))
        }
        canvas.box(x: r.x, y: sparkY, width: r.width, height: 3, title: title, style: Theme.frame, titleStyle: Theme.bold)
        let spark = Sparkline.render(history, width: r.width - 4, unicode: unicode)
        canvas.put(spark.isEmpty ? "no iterations yet" : spark, x: r.x + 2, y: sparkY + 1, style: spark.isEmpty ? Theme.muted : Theme.success)
        let logY = sparkY + 3
        let logHeight = r.y + r.height - logY
        drawLog(model, &canvas, Rect(x: r.x, y: logY, width: r.width, height: logHeight))
    }

    private func drawStats(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height, title: model.runNumber > 0 ? "Run \(model.runNumber)" : "Run",
                   style: Theme.focusFrame, titleStyle: Theme.bold)
        let inner = Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
        // (label, value, style, priority): the lowest priorities go first when rows do not fit.
        var rows: [(String, String, CellStyle, Int)] = []
        let stateText: String
        switch model.runState {
        case .idle: stateText = "ready: r starts a run"
        case .starting: stateText = "starting (loading, analysing the style)"
        case .running: stateText = "running"
        case .pausing: stateText = "pausing after this iteration"
        case .paused: stateText = "paused: space resumes"
        case .stopping: stateText = "stopping"
        case .writing: stateText = "writing the image"
        case .finished:
            let word = model.runWasStopped ? "stopped" : "finished"
            stateText = model.lastWritten.map { "\(word): wrote \($0)" } ?? word
        case .failed: stateText = "failed (see the log)"
        }
        let stateStyle: CellStyle = model.runState == .failed ? Theme.error : model.runState == .paused ? Theme.warning
            : model.runState == .finished ? Theme.success : Theme.bold
        rows.append(("state", stateText, stateStyle, 9))
        if model.runNumber == 0 {
            let (s, phases) = (model.parameters.settings, model.parameters.phases)
            rows.append(("mode", model.mode?.rawValue ?? "no style image yet", .plain, 6))
            rows.append(("size", model.sizeDescription, .plain, 6))
            rows.append(("plan", s.iterations.plan(phases: phases, of: phases), .plain, 6))
            rows.append(("output", model.parameters.output, .plain, 5))
            if let problem = model.inputProblems.first { rows.append(("blocked", problem, Theme.error, 8)) }
        } else {
            if let mode = model.runMode, let size = model.runSize { rows.append(("mode", "\(mode.rawValue), \(size.width)x\(size.height)", .plain, 2)) }
            if let p = model.phase {
                rows.append(("phase", "\(p.index + 1)/\(p.count) at \(p.width)x\(p.height) (style \(p.styleWidth)x\(p.styleHeight))", .plain, 7))
            }
            if let report = model.lastReport {
                if let p = model.phase, p.index != report.phase.index, model.runState.isActive {
                    rows.append(("iteration", "0/\(report.iterations): setting up phase \(p.index + 1)", Theme.muted, 9))
                } else {
                    rows.append(("iteration", "\(report.iteration)/\(report.iterations)", Theme.bold, 9))
                }
                var speed = String(format: "%.2f s/it", report.secondsPerIteration)
                if model.runState.isActive { speed += " · ETA " + StudioModel.duration(report.eta) }
                rows.append(("speed", speed, .plain, 7))
                if let start = model.runStart {
                    rows.append(("elapsed", StudioModel.duration(model.finishedSeconds ?? Date().timeIntervalSince(start)), .plain, 4))
                }
                for (layer, value) in report.losses.style.sorted(by: { $0.key < $1.key }) {
                    rows.append(("style \(layer.replacingOccurrences(of: "conv", with: ""))", String(format: "%.4g", value), .plain, 6))
                }
                if report.losses.content != 0 { rows.append(("content", String(format: "%.4g", report.losses.content), .plain, 6)) }
                rows.append(("smoothness", String(format: "%.4g", report.losses.smoothness), .plain, 6))
                rows.append(("total", String(format: "%.4g", report.losses.total), Theme.bold, 8))
            } else if model.runState.isActive {
                rows.append(("iteration", "waiting for the first", Theme.muted, 8))
            }
            rows.append(("output", model.parameters.output, .plain, 3))
        }
        while rows.count > inner.height, let low = rows.indices.min(by: { rows[$0].3 < rows[$1].3 }) { rows.remove(at: low) }
        for (i, row) in rows.enumerated() {
            canvas.putPadded(row.0, x: inner.x, y: inner.y + i, width: 11, style: Theme.muted)
            canvas.put(TextWidth.truncate(row.1, to: inner.width - 11, ellipsis: canvas.ellipsis), x: inner.x + 11, y: inner.y + i, style: row.2)
        }
    }

    private func drawImage(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        var title = "Image"
        if let image = model.currentImage { title += " \(image.width)x\(image.height)" }
        if let report = model.lastReport {
            title += " · phase \(report.phase.index + 1) iteration \(report.iteration)"
        }
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height, title: title, style: Theme.frame, titleStyle: Theme.bold)
        let inner = Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
        guard let image = model.currentImage else {
            canvas.put(model.runState.isActive ? "the image appears after the first iteration" : "no image yet",
                       x: inner.x, y: inner.y, style: Theme.muted, maxWidth: inner.width)
            return
        }
        let t = thumbnail(key: "run-\(model.runNumber)-\(model.imageVersion)", image: image, columns: inner.width, rows: inner.height)
        draw(t, &canvas, x: inner.x + (inner.width - t.columns) / 2, y: inner.y)
    }

    private func drawLog(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        guard r.height >= 3 else { return }
        let scrolled = model.logScroll > 0 ? " (\(model.logScroll) newer below; End jumps)" : ""
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height, title: "Log" + scrolled, style: Theme.frame, titleStyle: Theme.bold)
        let inner = Rect(x: r.x + 2, y: r.y + 1, width: r.width - 4, height: r.height - 2)
        let end = max(0, model.log.count - model.logScroll)
        let lines = model.log[max(0, end - inner.height)..<end]
        for (i, line) in lines.enumerated() {
            let text = formatter.string(from: line.time) + " " + line.text
            canvas.put(TextWidth.truncate(text, to: inner.width, ellipsis: canvas.ellipsis), x: inner.x, y: inner.y + i, style: Theme.tone(line.tone))
        }
    }

    // MARK: - Save as a preset

    private func drawSavePrompt(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        let w = min(r.width - 4, 86), h = 6
        let x = r.x + (r.width - w) / 2, y = r.y + max(0, (r.height - h) / 2)
        canvas.fill(x: x, y: y, width: w, height: h)
        canvas.box(x: x, y: y, width: w, height: h, title: "Save the settings as a preset", style: Theme.focusFrame,
                   titleStyle: Theme.focusFrame)
        let inner = w - 4
        canvas.put("file: ", x: x + 2, y: y + 1, style: Theme.bold)
        let fieldWidth = inner - 6
        if let typed = model.confirmingOverwrite {
            canvas.put(TextWidth.truncateLeft(typed, to: fieldWidth, ellipsis: canvas.ellipsis), x: x + 8, y: y + 1, style: Theme.field)
            canvas.put(TextWidth.truncate("exists: y overwrites it, any other key goes back to the name", to: inner, ellipsis: canvas.ellipsis),
                       x: x + 2, y: y + 3, style: Theme.warning)
        } else if let typed = model.savePrompt {
            let shown = TextWidth.truncateLeft(typed, to: fieldWidth - 1, ellipsis: canvas.ellipsis)
            canvas.putPadded(shown + (unicode ? "▏" : "_"), x: x + 8, y: y + 1, width: fieldWidth, style: Theme.field)
            let hint = model.savePromptOffered ? "Typing replaces the name offered; Backspace edits it. YAML (.yaml/.yml)."
                : "YAML (.yaml/.yml); paths are written relative to its folder."
            canvas.put(TextWidth.truncate(hint, to: inner, ellipsis: canvas.ellipsis), x: x + 2, y: y + 3, style: Theme.muted)
        }
        canvas.put(TextWidth.truncate("It loads back with l, and doodle render --preset FILE renders it.", to: inner, ellipsis: canvas.ellipsis),
                   x: x + 2, y: y + 4, style: Theme.muted)
    }

    // MARK: - Help

    /// The full key list, in two columns (fits 80x24).
    func helpColumns() -> [[(String, String, Bool)]] {
        let arrows = unicode ? "←↑↓→" : "arrows"
        let section: (String) -> (String, String, Bool) = { ($0, "", true) }
        let item: (String, String) -> (String, String, Bool) = { ($0, $1, false) }
        let left = [
            section("Everywhere"),
            item("Tab S-Tab 1 2 3", "switch pane"), item("r", "start a run"), item("space", "pause / resume"),
            item("s", "stop, write the image"), item("w", "write the image now"),
            item("q  Ctrl-C", "quit (asks mid-run)"), item("?", "this help"), item("Esc", "clear status line"),
            item("l", "load a preset"), item("S", "save as a preset"),
            section("Inputs"),
            item(arrows, "select a slot"), item("Enter  o", "choose a file"), item("x  Delete", "clear the slot"),
            item("p", "paint the target map"),
            section("Run"),
            item("\(upDown) PgUp PgDn", "scroll the log"),
        ]
        let right = [
            section("File chooser"),
            item("type", "filter (type-ahead)"), item("/path  ~/path", "type a path, Enter"),
            item("\(upDown) PgUp PgDn", "move"), item("Enter", "open folder / pick"),
            item(unicode ? "←  →" : "Left Right", "parent / open folder"), item("Tab  Ctrl-R", "recent folders"),
            item("Esc", "clear filter, cancel"),
            section("Parameters"),
            item(upDown, "select"), item("\(leftRight)  - +", "step the value"),
            item(unicode ? "⇧←→ PgUp PgDn" : "S-arrows PgUp/Dn", "big step"), item("Enter", "type a value"),
            item("d", "back to the default"), item("live", "changes apply now"),
        ]
        return [left, right]
    }

    private func drawHelp(_ canvas: inout Canvas, _ r: Rect, columns: [[(String, String, Bool)]]) {
        let rows = columns.map(\.count).max() ?? 0
        let w = min(r.width - 2, 90)
        let h = min(r.height, rows + 2)
        let x = r.x + (r.width - w) / 2, y = r.y + (r.height - h) / 2
        canvas.fill(x: x, y: y, width: w, height: h)
        canvas.box(x: x, y: y, width: w, height: h, title: "Help · any key closes", style: Theme.focusFrame, titleStyle: Theme.focusFrame)
        let columnWidth = (w - 6) / 2
        let keyWidth = 16
        for (c, lines) in columns.enumerated() {
            let cx = x + 2 + c * (columnWidth + 2)
            for (i, line) in lines.prefix(h - 2).enumerated() {
                if line.2 {
                    canvas.put(line.0, x: cx, y: y + 1 + i, style: Theme.warning)
                } else {
                    canvas.putPadded(line.0, x: cx + 1, y: y + 1 + i, width: keyWidth - 1, style: Theme.bold)
                    canvas.putPadded(line.1, x: cx + keyWidth + 1, y: y + 1 + i, width: columnWidth - keyWidth - 1)
                }
            }
        }
    }

    /// The paint screen's keys (its own help: the studio's does not fit beside it at 80x24).
    func paintHelpColumns() -> [[(String, String, Bool)]] {
        let section: (String) -> (String, String, Bool) = { ($0, "", true) }
        let item: (String, String) -> (String, String, Bool) = { ($0, $1, false) }
        let left = [
            section("Paint: move and paint"),
            item(unicode ? "←↑↓→" : "arrows", "move the cursor"), item(unicode ? "⇧ + arrows" : "S-arrows", "move 4 pixels"),
            item("space", "use the tool"), item("mouse", "press, drag: paint"),
            item("1-9 0", "pick a class"), item("Tab S-Tab", "next/prev class"),
            item("b  l", "brush, line"), item("r  f", "rectangle, fill"), item("[ ]  - +", "brush size"),
        ]
        let right = [
            section("Paint: the map"),
            item("u", "undo"), item("U  Ctrl-R", "redo"), item("n", "fill with the class"),
            item("o", "open a map file"), item("i", "map of the content"),
            item("s", "save OUT_sem.png"), item("Enter", "save and render"),
            item("Esc", "cancel shape/close"), item("q", "quit (asks)"),
        ]
        return [left, right]
    }

    // MARK: - Paint

    private func drawPaint(_ model: StudioModel, _ canvas: inout Canvas) {
        guard let session = model.paint else { return }
        let painting = session.painting
        let layout = PaintLayout(width: canvas.width, height: canvas.height, painting: painting)
        let box = layout.canvasBox, grid = layout.grid
        // The state before the path: a narrow frame cuts the title's end.
        let title = "Paint \(painting.width)x\(painting.height)\(painting.unsavedChanges ? " (not saved)" : "") \(unicode ? "→" : "->") \(session.path)"
        canvas.box(x: box.x, y: box.y, width: box.width, height: box.height, title: title, style: Theme.focusFrame, titleStyle: Theme.bold)
        let colours = painting.palette.map { Int16(Xterm256.index(r: Float($0.rgb[0]), g: Float($0.rgb[1]), b: Float($0.rgb[2]))) }
        var pending = Set<Int>()
        for p in painting.pendingShape(grid: grid) where p.x >= 0 && p.y >= 0 && p.x < grid.columns && p.y < grid.pixelRows {
            pending.insert(p.y * grid.columns + p.x)
        }
        let cursor = grid.displayPixel(of: painting.cursor)
        func classAt(_ x: Int, _ y: Int) -> Int {
            if pending.contains(y * grid.columns + x) { return painting.current }
            let c = grid.centre(of: (x, y))
            return painting[c.x, c.y]
        }
        func contrast(_ k: Int) -> Int16 {
            let rgb = painting.palette[k].rgb
            return 0.299 * Double(rgb[0]) + 0.587 * Double(rgb[1]) + 0.114 * Double(rgb[2]) > 128 ? 16 : 231
        }
        for row in 0..<grid.rows {
            for column in 0..<grid.columns {
                let x = layout.origin.x + column, y = layout.origin.y + row
                let top = classAt(column, 2 * row)
                let bottom = 2 * row + 1 < grid.pixelRows ? classAt(column, 2 * row + 1) : nil
                let onCursor = cursor.x == column && cursor.y / 2 == row
                if thumbnailMode == .halfBlock {
                    var fg = colours[top], bg = bottom.map { colours[$0] } ?? -1
                    if onCursor && cursor.y % 2 == 0 { fg = contrast(top) }
                    if onCursor && cursor.y % 2 == 1, let bottom { bg = contrast(bottom) }
                    canvas[x, y] = Cell(Thumbnail.halfBlock, style: CellStyle(foreground: fg, background: bg))
                } else {
                    canvas[x, y] = Cell(onCursor ? "@" : Self.classSymbol(top), style: onCursor ? Theme.selected : .plain)
                }
            }
        }
        drawPaintPalette(painting, colours, &canvas, layout.paletteBox)
        drawPaintTool(painting, &canvas, layout.toolBox)
        drawPaintRender(model, &canvas, layout.imageBox)
    }

    /// A class's symbol where there is no colour: 1-9, 0, then letters.
    static func classSymbol(_ k: Int) -> Character {
        let symbols = Array("1234567890abcdefghijklmnopqrstuvwxyz")
        return k < symbols.count ? symbols[k] : "?"
    }

    private func drawPaintPalette(_ painting: MapPainting, _ colours: [Int16], _ canvas: inout Canvas, _ r: Rect) {
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height, title: "Classes", style: Theme.frame, titleStyle: Theme.bold)
        let shares = painting.shares
        for (k, colour) in painting.palette.enumerated().prefix(max(0, r.height - 2)) {
            let y = r.y + 1 + k
            let chosen = k == painting.current
            canvas.put(chosen ? pointer : " ", x: r.x + 1, y: y, style: Theme.bold)
            if thumbnailMode == .halfBlock {
                canvas.put("  ", x: r.x + 2, y: y, style: CellStyle(background: colours[k]))
            } else {
                canvas.put(" \(Self.classSymbol(k))", x: r.x + 2, y: y)
            }
            let key = k < 10 ? "\(Self.classSymbol(k))" : " "
            let percent = String(format: "%.1f%%", 100 * shares[k])
            let name = colour.inStyle ? colour.name : "\(colour.name) (not in style)"
            let width = r.width - 10 - percent.count
            canvas.put(key, x: r.x + 5, y: y, style: chosen ? Theme.selected : Theme.bold)
            canvas.putPadded(name, x: r.x + 7, y: y, width: width, style: chosen ? Theme.bold : (colour.inStyle ? .plain : Theme.warning))
            canvas.put(percent, x: r.x + r.width - 1 - percent.count, y: y, style: Theme.muted)
        }
    }

    private func drawPaintTool(_ painting: MapPainting, _ canvas: inout Canvas, _ r: Rect) {
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height, title: "Tool", style: Theme.frame, titleStyle: Theme.bold)
        var x = r.x + 2
        for tool in MapPainting.Tool.allCases {
            let label = tool == .rectangle ? "rect" : tool.rawValue
            x += canvas.put(label, x: x, y: r.y + 1, style: tool == painting.tool ? Theme.selected : Theme.muted) + 1
        }
        var detail = "size \(painting.brushSize)  at \(painting.cursor.x),\(painting.cursor.y)"
        if painting.penDown { detail += "  pen down" }
        if painting.anchor != nil { detail += "  corner set" }
        canvas.putPadded(detail, x: r.x + 2, y: r.y + 2, width: r.width - 4)
    }

    private func drawPaintRender(_ model: StudioModel, _ canvas: inout Canvas, _ r: Rect) {
        guard r.height >= 3 else { return }
        let title = model.runState == .idle ? "Render" : "Render · " + model.runSummaryShort
        canvas.box(x: r.x, y: r.y, width: r.width, height: r.height, title: title, style: Theme.frame, titleStyle: Theme.bold)
        let inner = Rect(x: r.x + 1, y: r.y + 1, width: r.width - 2, height: r.height - 2)
        guard let image = model.currentImage else {
            for (i, line) in TextWidth.wrap("Enter saves the map and renders it here", width: inner.width).prefix(inner.height).enumerated() {
                canvas.put(line, x: inner.x, y: inner.y + i, style: Theme.muted)
            }
            return
        }
        let t = thumbnail(key: "run-\(model.runNumber)-\(model.imageVersion)", image: image, columns: inner.width, rows: inner.height)
        draw(t, &canvas, x: inner.x + (inner.width - t.columns) / 2, y: inner.y)
    }

    // MARK: - Thumbnails

    private func thumbnail(key: String, image: Image, columns: Int, rows: Int) -> Thumbnail {
        let id = "\(key)-\(columns)x\(rows)"
        if let t = thumbnails[id] { return t }
        if thumbnails.count > 64 { thumbnails.removeAll() }
        let t = Thumbnail(image: image, maxColumns: max(1, columns), maxRows: max(1, rows), mode: thumbnailMode)
        thumbnails[id] = t
        return t
    }

    private func draw(_ t: Thumbnail, _ canvas: inout Canvas, x: Int, y: Int) {
        for row in 0..<t.rows {
            for column in 0..<t.columns {
                let cell = t[column, row]
                let px = x + column, py = y + row
                guard px >= 0 && px < canvas.width && py >= 0 && py < canvas.height else { continue }
                canvas[px, py] = Cell(cell.character, style: CellStyle(foreground: Int16(cell.foreground ?? -1),
                                                                       background: Int16(cell.background ?? -1)))
            }
        }
    }
}
