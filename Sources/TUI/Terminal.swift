import CNcurses
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the terminal gives the loop.
enum TerminalInput: Equatable {
    case key(Key)
    case mouse(MouseEvent)
    case resize
}

struct TerminalError: Error, CustomStringConvertible {
    let description: String
}

/// The curses screen: UTF-8 (ncursesw), colour pairs on demand, the canvas copied in, keys
/// out. Restores the terminal on every way out (see `installCrashHandlers`).
final class Terminal {
    private var screen: OpaquePointer?
    let colourCount: Int
    private var pairs: [Int32: Int16] = [:]
    private var nextPair: Int32 = 1
    private let pairLimit: Int32
    private var previous: Canvas?

    // Attribute bits (curses.h builds them with macros Swift does not import).
    private static let standout: attr_t = 1 << 16
    private static let underline: attr_t = 1 << 17
    private static let reverse: attr_t = 1 << 18
    private static let dim: attr_t = 1 << 20
    private static let bold: attr_t = 1 << 21

    /// Picks the locale; true when it is UTF-8. With no locale variables set at all, uses
    /// C.UTF-8 (what nearly every terminal speaks); an explicit non-UTF-8 locale is kept.
    static func setUpLocale() -> Bool {
        setlocale(LC_ALL, "")
        if isUTF8() { return true }
        let env = ProcessInfo.processInfo.environment
        let set = ["LC_ALL", "LC_CTYPE", "LANG"].contains { !(env[$0] ?? "").isEmpty }
        if !set, setlocale(LC_CTYPE, "C.UTF-8") != nil { return isUTF8() }
        return false
    }

    private static func isUTF8() -> Bool {
        guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
        let name = String(cString: codeset).uppercased()
        return name == "UTF-8" || name == "UTF8"
    }

    init() throws {
        guard let s = newterm(nil, stdout, stdin) else {
            throw TerminalError(description: "cannot open the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset")); doodle tui needs a terminal curses knows")
        }
        screen = s
        set_term(s)
        cursesActive.pointee = 1
        cbreak()
        noecho()
        nonl()
        keypad(stdscr, true)
        intrflush(stdscr, false)
        curs_set(0)
        set_escdelay(25)
        wtimeout(stdscr, 50)
        if has_colors() {
            start_color()
            use_default_colors()
            colourCount = Int(COLORS)
            pairLimit = min(COLOR_PAIRS - 1, 32000)
        } else {
            colourCount = 0
            pairLimit = 0
        }
        // Shift-arrows and Shift-Tab as xterm sends them, for terminfo entries that lack them.
        define_key("\u{1b}[1;2D", KEY_SLEFT)
        define_key("\u{1b}[1;2C", KEY_SRIGHT)
        define_key("\u{1b}[1;2A", KEY_SR)
        define_key("\u{1b}[1;2B", KEY_SF)
        define_key("\u{1b}[Z", KEY_BTAB)
        // Mouse reports are parsed here (SGR form), not by curses: forget its mouse key.
        define_key("\u{1b}[<", 0)
        define_key("\u{1b}[M", 0)
    }

    /// Whether the terminal reports mouse buttons and drags (xterm's 1002 mode, SGR 1006
    /// encoding); only the paint canvas asks for it, so elsewhere the terminal's own selection works.
    var mouseReporting = false {
        didSet {
            guard mouseReporting != oldValue else { return }
            writeRaw(mouseReporting ? Self.mouseOn : Self.mouseOff)
        }
    }

    static let mouseOn = "\u{1b}[?1002h\u{1b}[?1006h"
    static let mouseOff = "\u{1b}[?1006l\u{1b}[?1002l"

    private func writeRaw(_ text: String) {
        fputs(text, stdout)
        fflush(stdout)
    }

    /// Whether thumbnails can use 256 colours.
    var supports256Colours: Bool { colourCount >= 256 }

    var size: (width: Int, height: Int) { (Int(getmaxx(stdscr)), Int(getmaxy(stdscr))) }

    /// Waits up to `milliseconds` for a key (0: only what is already there).
    func read(waiting milliseconds: Int32) -> TerminalInput? {
        wtimeout(stdscr, milliseconds)
        var ch: wint_t = 0
        let result = wget_wch(stdscr, &ch)
        if result == ERR { return nil }
        if result == KEY_CODE_YES {
            switch Int32(ch) {
            case KEY_RESIZE: return .resize
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_SLEFT: return .key(.shiftLeft)
            case KEY_SRIGHT: return .key(.shiftRight)
            case KEY_SR: return .key(.shiftUp)
            case KEY_SF: return .key(.shiftDown)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_ENTER: return .key(.enter)
            case KEY_BTAB: return .key(.backTab)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_DC: return .key(.delete)
            default: return nil
            }
        }
        switch ch {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return readMouseReport().map { .mouse($0) } ?? .key(.escape)
        case 8, 127: return .key(.backspace)
        case 3: return .key(.interrupt)
        case 1...26: return .key(.control(Character(UnicodeScalar(UInt8(ch) + 96))))
        default:
            guard let scalar = UnicodeScalar(UInt32(ch)), ch >= 32 else { return nil }
            return .key(.char(Character(scalar)))
        }
    }

    /// After ESC: the rest of an SGR mouse report `[<b;x;yM` (or `m` on release), already in
    /// the input. Anything else is given back to curses and ESC is a key of its own.
    private func readMouseReport() -> MouseEvent? {
        wtimeout(stdscr, 0)
        var taken: [wint_t] = []
        func next() -> wint_t? {
            var ch: wint_t = 0
            guard wget_wch(stdscr, &ch) == OK else { return nil }
            taken.append(ch)
            return ch
        }
        var report = ""
        if next() == 91, next() == 60 {  // "[<"
            while taken.count < 24, let ch = next() {
                guard let scalar = UnicodeScalar(UInt32(ch)) else { break }
                report.unicodeScalars.append(scalar)
                if scalar == "M" || scalar == "m" { break }
            }
            if let event = MouseEvent(sgr: report) { return event }
        }
        for ch in taken.reversed() { unget_wch(wchar_t(bitPattern: ch)) }
        return nil
    }

    /// After a resize: everything is sent again.
    func invalidate() {
        previous = nil
        clearok(curscr, true)
    }

    /// Copies the canvas to the screen (only the cells that changed) and shows it.
    func draw(_ canvas: Canvas) {
        let full = previous == nil || previous!.width != canvas.width || previous!.height != canvas.height
        if full { werase(stdscr) }
        var pairsReset = false
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                let cell = canvas[x, y]
                if !full, previous![x, y] == cell { continue }
                guard let character = cell.character else { continue }
                var attributes: attr_t = 0
                if cell.style.bold { attributes |= Self.bold }
                if cell.style.dim { attributes |= Self.dim }
                if cell.style.reverse { attributes |= Self.reverse }
                if cell.style.underline { attributes |= Self.underline }
                let pair = pairFor(foreground: cell.style.foreground, background: cell.style.background, reset: &pairsReset)
                var wide: [wchar_t] = character.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) }
                wide.append(0)
                var cc = cchar_t()
                setcchar(&cc, wide, attributes, pair, nil)
                mvwadd_wch(stdscr, Int32(y), Int32(x), &cc)
            }
        }
        previous = pairsReset ? nil : canvas
        wnoutrefresh(stdscr)
        doupdate()
    }

    /// The colour pair for a foreground/background, made on first use.
    private func pairFor(foreground: Int16, background: Int16, reset: inout Bool) -> Int16 {
        guard colourCount >= 8, foreground >= 0 || background >= 0 else { return 0 }
        let fg = fit(foreground), bg = fit(background)
        if fg < 0 && bg < 0 { return 0 }
        let key = Int32(fg) << 16 | Int32(UInt16(bitPattern: bg))
        if let p = pairs[key] { return p }
        if nextPair > pairLimit {
            // Out of pairs: start again (cells drawn with old pairs are redrawn next frame).
            pairs.removeAll()
            nextPair = 1
            reset = true
        }
        let p = Int16(nextPair)
        nextPair += 1
        init_pair(p, fg, bg)
        pairs[key] = p
        return p
    }

    private func fit(_ colour: Int16) -> Int16 {
        guard colour >= 0 else { return -1 }
        if Int(colour) < colourCount { return colour }
        return Int16(Xterm256.basic(Int(colour)))
    }

    /// Leaves curses: the terminal as it was.
    func end() {
        guard cursesActive.pointee != 0 else { return }
        mouseReporting = false
        cursesActive.pointee = 0
        endwin()
        if let screen { delscreen(screen) }
        screen = nil
    }
}

// MARK: - Always restoring the terminal

/// 1 while curses owns the terminal (read by signal handlers and atexit).
let cursesActive: UnsafeMutablePointer<sig_atomic_t> = {
    let p = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: 1)
    p.pointee = 0
    return p
}()

/// The handlers that were there before ours, per signal (re-installed before re-raising, so
/// the Swift runtime's crash report still appears, now on a normal terminal).
private let previousActions: UnsafeMutablePointer<sigaction> = {
    let p = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    p.initialize(repeating: sigaction(), count: 65)
    return p
}()

private func restoreAndReraise(_ signal: Int32) {
    if cursesActive.pointee != 0 {
        cursesActive.pointee = 0
        endwin()
        // Mouse reporting off (harmless when it was not on); write(2) is safe in a handler.
        _ = mouseOffBytes.withUnsafeBufferPointer { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }
    sigaction(signal, previousActions + Int(signal), nil)
    raise(signal)
}

private let mouseOffBytes = Array(Terminal.mouseOff.utf8)

/// Crashes (Swift traps are SIGILL/SIGTRAP), aborts, SIGTERM, SIGHUP and SIGQUIT end curses
/// first; exit() does through atexit.
func installCrashHandlers() {
    _ = cursesActive.pointee
    for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT, SIGTERM, SIGHUP, SIGQUIT] {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = restoreAndReraise
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(sig, &action, previousActions + Int(sig))
    }
    // Globals are made on first use: make this one now, not inside a signal handler.
    _ = mouseOffBytes.count
    atexit {
        if cursesActive.pointee != 0 {
            cursesActive.pointee = 0
            endwin()
            _ = mouseOffBytes.withUnsafeBufferPointer { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        }
    }
}
