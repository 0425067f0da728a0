import ArgumentParser
import Foundation

/// The `doodle` command: parses, validates, calls the libraries, prints. No algorithm here.
struct DoodleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doodle",
        abstract: "Turn two-bit doodles into paintings (semantic style transfer on VGG19).",
        subcommands: [RenderCommand.self, WeightsCommand.self, BenchCommand.self, ScoreCommand.self, MapCommand.self,
                      RunCommand.self, CheckCommand.self, PresetsCommand.self, TUICommand.self])
}

/// A mistake the user can fix: printed as one line, exit code 2.
struct UserError: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
}

/// Every error ends as one line on stderr and exit code 2: a usage mistake (ArgumentParser's
/// own 64 included) or a bad input file. Help and explicit exit codes pass through.
@main
enum Main {
    static func main() {
        // Progress lines appear as they happen, also when piped or written to a log.
        setvbuf(stdout, nil, _IOLBF, 0)
        do {
            var command = try DoodleCommand.parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = DoodleCommand.exitCode(for: error)
            if code == .success {
                print(DoodleCommand.fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = DoodleCommand.message(for: error)
            FileHandle.standardError.write(Data("doodle: \(message)\n".utf8))
            Foundation.exit(2)
        }
    }
}
