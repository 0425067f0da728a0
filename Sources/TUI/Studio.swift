import Dispatch
import Doodle
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `doodle tui`: the full-screen studio. The model does the work; this loop reads keys (at
/// most 50 ms apart, so keys answer while the engine computes on its own thread), applies the
/// engine's messages and redraws when something changed.
public enum Studio {
    /// Runs the studio, then ends the process with its exit status. It ends with `_exit`
    /// once the terminal is restored, the PNG writes are done and stdout is flushed: OpenBLAS
    /// (which L-BFGS-B may load as its BLAS) can deadlock in its exit-time shutdown joining
    /// worker threads used from the engine's thread (seen: `gotoblas_quit` ->
    /// `blas_thread_shutdown_` waiting for ever).
    public static func runAndExit(_ configuration: StudioConfiguration) -> Never {
        let status = run(configuration)
        fflush(stdout)
        fflush(stderr)
        _exit(status)
    }

    /// Runs until the user quits; returns the exit status (0, 130 after Ctrl-C, 2 on errors).
    public static func run(_ configuration: StudioConfiguration) -> Int32 {
        guard isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 else {
            FileHandle.standardError.write(Data("doodle: tui needs a terminal on stdin and stdout; use `doodle render` in scripts\n".utf8))
            return 2
        }
        let unicode = Terminal.setUpLocale() && !configuration.asciiOnly
        let inbox = Inbox()
        let networks = NetworkCache()
        let model = StudioModel(configuration: configuration, inbox: inbox, makeMap: { image, classes, weightsPath in
            let network = try networks.network(weightsPath: weightsPath, pooling: .average)
            return MapFromImage(classes: classes).map(image, network: network).map
        }) { request, post in
            EngineRunner(request: request, networks: networks, post: post)
        }
        if FileManager.default.fileExists(atPath: configuration.weightsPath) {
            let path = configuration.weightsPath, pooling = configuration.settings.pooling
            DispatchQueue.global(qos: .utility).async {
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    _ = try networks.network(weightsPath: path, pooling: pooling)
                    inbox.post(.weightsLoaded(seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                } catch {
                    inbox.post(.weightsFailed("\(error)"))
                }
            }
        }

        // Ctrl-C arrives as SIGINT (cbreak mode): a key for the model, not a kill.
        let interrupts = InterruptCounter()
        installCrashHandlers()
        let terminal: Terminal
        do { terminal = try Terminal() } catch {
            FileHandle.standardError.write(Data("doodle: \(error)\n".utf8))
            return 2
        }
        let view = StudioView(unicode: unicode,
                              thumbnailMode: unicode && terminal.supports256Colours && !configuration.asciiOnly ? .halfBlock : .ascii)
        var drawnRevision = -1
        var lastDraw = DispatchTime.now().uptimeNanoseconds
        while model.exitStatus == nil {
            for _ in 0..<interrupts.take() { model.handle(.interrupt) }
            let size = terminal.size
            if size != model.screenSize { model.screenSize = size }
            terminal.mouseReporting = model.wantsMouse
            let now = DispatchTime.now().uptimeNanoseconds
            // Redraw on change, and each second while a run goes (elapsed time).
            if model.revision != drawnRevision || (model.runState.isActive && now - lastDraw > 1_000_000_000) {
                terminal.draw(view.render(model, width: size.width, height: size.height))
                drawnRevision = model.revision
                lastDraw = now
            }
            // Wait up to 50 ms for a key, then take any others already typed.
            var wait: Int32 = 50
            while let input = terminal.read(waiting: wait) {
                wait = 0
                switch input {
                case .resize: terminal.invalidate(); drawnRevision = -1
                case .key(let key): model.handle(key)
                case .mouse(let event): model.handle(mouse: event)
                }
                if model.exitStatus != nil { break }
            }
            model.drainInbox()
        }
        model.waitForWrites()
        model.drainInbox()
        terminal.end()
        let status = model.exitStatus ?? 0
        if let written = model.lastWritten { print("doodle tui: last wrote \(written)") }
        for line in model.log.suffix(20) where line.tone == .error { print("doodle tui: \(line.text)") }
        return status
    }
}

/// Counts SIGINTs (Ctrl-C) for the loop.
private final class InterruptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            lock.lock(); count += 1; lock.unlock()
        }
        source.resume()
    }

    func take() -> Int {
        lock.lock()
        defer { count = 0; lock.unlock() }
        return count
    }
}
