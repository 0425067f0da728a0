/// How one cell looks. Colours are xterm-256 indices (0-7 the basic colours), -1 the
/// terminal's default.
public struct CellStyle: Hashable, Sendable {
    public var foreground: Int16 = -1
    public var background: Int16 = -1
    public var bold = false
    public var dim = false
    public var reverse = false
    public var underline = false

    public init(foreground: Int16 = -1, background: Int16 = -1, bold: Bool = false, dim: Bool = false,
                reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = CellStyle()
}

public struct Cell: Equatable, Sendable {
    /// `nil` for the right half of a wide character.
    public var character: Character?
    public var style: CellStyle
    public init(_ character: Character? = " ", style: CellStyle = .plain) {
        self.character = character
        self.style = style
    }
}

/// The screen as a grid of cells. The studio draws into a canvas; the terminal layer copies
/// it to curses. Tests read it back as text.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    /// Box drawing and ellipses in Unicode; ASCII otherwise.
    public let unicode: Bool
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int, unicode: Bool = true) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.unicode = unicode
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public var ellipsis: String { unicode ? "…" : "~" }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// The rows as plain text (wide characters once, trailing spaces kept).
    public var lines: [String] {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width { if let c = cells[y * width + x].character { line.append(c) } }
            return line
        }
    }

    public var text: String { lines.joined(separator: "\n") }

    /// Writes `text` from column `x` of row `y`, clipped to `maxWidth` columns and the canvas.
    /// Control characters show as `?`. Returns the columns written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0 && y < height && x < width else { return 0 }
        let limit = min(width, x + (maxWidth ?? width))
        var column = x
        for var c in text {
            if !unicode && !c.isASCII { c = Self.asciiFallback(c) }
            if let s = c.unicodeScalars.first, s.value < 0x20 || (0x7F...0x9F).contains(s.value) { c = "?" }
            let w = TextWidth.of(c)
            if column + w > limit { break }
            if column >= 0 {
                self[column, y] = Cell(c, style: style)
                if w == 2 { self[column + 1, y] = Cell(nil, style: style) }
            }
            column += w
        }
        return max(0, column - x)
    }

    /// One ASCII character for a non-ASCII one (same width), for terminals without UTF-8.
    public static func asciiFallback(_ c: Character) -> Character {
        switch c {
        case "…": return "~"
        case "·", "─", "━": return "-"
        case "→", "▸", "▶": return ">"
        case "←", "◂": return "<"
        case "↑", "⇧": return "^"
        case "↓": return "v"
        case "✗", "×": return "x"
        case "│", "▏": return "|"
        case "┌", "┐", "└", "┘": return "+"
        default: return "?"
        }
    }

    /// Fills a rectangle with `character`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, character: Character = " ",
                              style: CellStyle = .plain) {
        for row in max(0, y)..<max(max(0, y), min(height, y + h)) {
            for column in max(0, x)..<max(max(0, x), min(width, x + w)) { self[column, row] = Cell(character, style: style) }
        }
    }

    /// Sets the style of a rectangle, keeping its characters.
    public mutating func restyle(x: Int, y: Int, width w: Int, height h: Int, style: CellStyle) {
        for row in max(0, y)..<max(max(0, y), min(height, y + h)) {
            for column in max(0, x)..<max(max(0, x), min(width, x + w)) { self[column, row].style = style }
        }
    }

    /// A frame with an optional title in its top edge.
    public mutating func box(x: Int, y: Int, width w: Int, height h: Int, title: String? = nil,
                             style: CellStyle = .plain, titleStyle: CellStyle? = nil) {
        guard w >= 2 && h >= 2 else { return }
        let (tl, tr, bl, br, horizontal, vertical): (Character, Character, Character, Character, Character, Character) =
            unicode ? ("┌", "┐", "└", "┘", "─", "│") : ("+", "+", "+", "+", "-", "|")
        put(String(tl) + String(repeating: horizontal, count: w - 2) + String(tr), x: x, y: y, style: style)
        put(String(bl) + String(repeating: horizontal, count: w - 2) + String(br), x: x, y: y + h - 1, style: style)
        for row in (y + 1)..<(y + h - 1) {
            put(String(vertical), x: x, y: row, style: style)
            put(String(vertical), x: x + w - 1, y: row, style: style)
        }
        if let title, w > 6 {
            let shown = " " + TextWidth.truncate(title, to: w - 6, ellipsis: ellipsis) + " "
            put(shown, x: x + 2, y: y, style: titleStyle ?? style)
        }
    }

    /// Text padded to exactly `width` columns (truncated with an ellipsis when longer).
    public mutating func putPadded(_ text: String, x: Int, y: Int, width w: Int, style: CellStyle = .plain) {
        guard w > 0 else { return }
        put(TextWidth.pad(text, to: w, ellipsis: ellipsis), x: x, y: y, style: style, maxWidth: w)
    }
}
