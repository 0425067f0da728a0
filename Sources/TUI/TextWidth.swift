/// Terminal column widths of text: East Asian wide characters take two columns, everything
/// else one (a `Character` is a whole grapheme, so combining marks ride along).
public enum TextWidth {
    public static func of(_ c: Character) -> Int {
        guard let scalar = c.unicodeScalars.first else { return 0 }
        return isWide(scalar.value) ? 2 : 1
    }

    public static func of<S: StringProtocol>(_ text: S) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// At most `width` columns; text that does not fit ends in `ellipsis`.
    public static func truncate(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        let room = width - of(ellipsis)
        guard room > 0 else { return String(ellipsis.prefix(width)) }
        var out = "", used = 0
        for c in text {
            let w = of(c)
            if used + w > room { break }
            out.append(c)
            used += w
        }
        return out + ellipsis
    }

    /// At most `width` columns, dropping the start: "…/samples/monet.jpg" (for paths).
    public static func truncateLeft(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        guard width > 0 else { return "" }
        if of(text) <= width { return text }
        let room = width - of(ellipsis)
        guard room > 0 else { return String(ellipsis.prefix(width)) }
        var kept: [Character] = [], used = 0
        for c in text.reversed() {
            let w = of(c)
            if used + w > room { break }
            kept.append(c)
            used += w
        }
        return ellipsis + String(kept.reversed())
    }

    /// `text` padded with spaces (or truncated) to exactly `width` columns.
    public static func pad(_ text: String, to width: Int, ellipsis: String = "…") -> String {
        let cut = truncate(text, to: width, ellipsis: ellipsis)
        return cut + String(repeating: " ", count: max(0, width - of(cut)))
    }

    /// Words wrapped into lines of at most `width` columns (long words are cut).
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                var word = String(word)
                while of(word) > width {
                    if !line.isEmpty { lines.append(line); line = "" }
                    let head = truncate(word, to: width, ellipsis: "")
                    lines.append(head)
                    word = String(word.dropFirst(head.count))
                }
                if line.isEmpty { line = word } else if of(line) + 1 + of(word) <= width { line += " " + word } else {
                    lines.append(line)
                    line = word
                }
            }
            lines.append(line)
        }
        return lines
    }

    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return true
        default:
            return false
        }
    }
}
