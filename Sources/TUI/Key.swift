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
