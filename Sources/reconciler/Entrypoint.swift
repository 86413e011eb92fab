import ArgumentParser
import ReconcilerCommands

@main
struct Entrypoint {
    static func main() async {
        do {
            var command = try ReconcilerCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            ReconcilerCommand.exit(withError: error)
        }
    }
}
