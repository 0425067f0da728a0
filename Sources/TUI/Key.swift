/// A key press as the studio understands it. The terminal layer turns curses key codes into
/// these; the model maps them to actions, so every behaviour is testable without a terminal.
public enum Key: Equatable, Sendable {
    case up, down, left, right
    case shiftUp, shiftDown, shiftLeft, shiftRight
    case pageUp, pageDown, home, end
    case enter, tab, backTab, escape, backspace, delete
    /// Ctrl-C (delivered as SIGINT by the terminal, turned into a key by the loop).
    case interrupt
    /// Another control key, by its lower-case letter: Ctrl-R is `.control("r")`.
    case control(Character)
    /// A printable character (space included).
    case char(Character)
}

/// A mouse report: where (0-based cell) and what happened with the left button.
public struct MouseEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case press, drag, release }
    public let kind: Kind
    public let x: Int
    public let y: Int

    public init(kind: Kind, x: Int, y: Int) {
        self.kind = kind
        self.x = x
        self.y = y
    }

    /// The part of an SGR report after `ESC [ <`: `b;x;yM` (press or motion) or `b;x;ym`
    /// (release), 1-based cells. Only the left button counts (b 0 pressed, 32 dragged);
    /// other buttons and the wheel give nil.
    public init?(sgr text: String) {
        guard let last = text.last, last == "M" || last == "m" else { return nil }
        let numbers = text.dropLast().split(separator: ";", omittingEmptySubsequences: false).map { Int($0) }
        guard numbers.count == 3, let button = numbers[0], let x = numbers[1], let y = numbers[2], x >= 1, y >= 1 else { return nil }
        let kind: Kind
        switch (button & ~0b11100, button & 32 != 0, last) {  // shift/alt/ctrl bits ignored
        case (0, false, "M"): kind = .press
        case (32, true, "M"): kind = .drag
        case (0, false, "m"): kind = .release
        default: return nil
        }
        self.init(kind: kind, x: x - 1, y: y - 1)
    }
}
