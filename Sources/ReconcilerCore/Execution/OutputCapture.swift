import Subprocess
import Synchronization

/// Collects a child's output while it runs: the beginning of stdout, the end of both streams
/// interleaved by line, and each complete line for a live progress callback. Memory stays bounded
/// whatever the child prints.
final class OutputCapture: Sendable {
    enum Stream: Sendable { case stdout, stderr }

    private struct State {
        var stdout: [UInt8] = []
        var tail: [UInt8] = []
        var tailCut = false
        var partialOut: [UInt8] = []
        var partialErr: [UInt8] = []
    }

    private let state = Mutex(State())
    private let stdoutLimit: Int
    private let tailLimit: Int
    private let onLine: (@Sendable (String) -> Void)?
    private let masker: SecretMasker?

    init(stdoutLimit: Int, tailLimit: Int, onLine: (@Sendable (String) -> Void)?, masker: SecretMasker? = nil) {
        self.stdoutLimit = max(stdoutLimit, 0)
        self.tailLimit = max(tailLimit, 0)
        self.onLine = onLine
        self.masker = masker
    }

    /// Reads `sequence` to its end. A read error ends the stream: what was read is kept, and the
    /// exit status still tells whether the command worked.
    func pump(_ sequence: SubprocessOutputSequence, _ stream: Stream) async {
        do {
            for try await buffer in sequence {
                let bytes = buffer.withUnsafeBytes { Array($0) }
                deliver(state.withLock { append(bytes, from: stream, to: &$0) })
            }
        } catch {}
        deliver(state.withLock { flush(stream, &$0) })
    }

    /// The first `stdoutLimit` bytes of stdout, never ending inside a character.
    var stdout: String { state.withLock { BoundedText.head(bytes: $0.stdout, limit: stdoutLimit) } }

    /// The last `tailLimit` bytes of interleaved output, with any unfinished lines.
    var outputTail: String {
        state.withLock { state in
            var copy = state
            _ = flush(.stdout, &copy)
            _ = flush(.stderr, &copy)
            var tail = BoundedText.tail(bytes: copy.tail, limit: tailLimit, alreadyCut: copy.tailCut)
            guard let masker else { return tail }
            // The cut may fall inside a secret, leaving its end on the first line, where masking cannot know it:
            // drop that partial line.
            if tail.hasPrefix(BoundedText.ellipsis), let newline = tail.firstIndex(of: "\n") {
                tail = BoundedText.ellipsis + tail[tail.index(after: newline)...]
            }
            return masker.mask(tail)
        }
    }

    private func deliver(_ lines: [String]) {
        guard let onLine else { return }
        for line in lines { onLine(masker?.mask(line) ?? line) }
    }

    private func append(_ bytes: [UInt8], from stream: Stream, to state: inout State) -> [String] {
        if stream == .stdout, state.stdout.count < stdoutLimit + 4 {
            // A few bytes past the limit let the final cut find a character boundary.
            state.stdout.append(contentsOf: bytes.prefix(stdoutLimit + 4 - state.stdout.count))
        }
        var lines: [String] = []
        var partial = stream == .stdout ? state.partialOut : state.partialErr
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            partial.append(contentsOf: bytes[start..<newline])
            lines.append(complete(&partial, into: &state))
            start = newline + 1
        }
        partial.append(contentsOf: bytes[start...])
        // A line longer than the whole tail would only be cut anyway: pass it on in pieces.
        if partial.count > tailLimit, tailLimit > 0 {
            lines.append(complete(&partial, into: &state))
        }
        if stream == .stdout { state.partialOut = partial } else { state.partialErr = partial }
        return onLine == nil ? [] : lines
    }

    private func flush(_ stream: Stream, _ state: inout State) -> [String] {
        var partial = stream == .stdout ? state.partialOut : state.partialErr
        guard !partial.isEmpty else { return [] }
        let line = complete(&partial, into: &state)
        if stream == .stdout { state.partialOut = [] } else { state.partialErr = [] }
        return onLine == nil ? [] : [line]
    }

    /// Moves a finished line into the tail and returns it as text (without `\r\n`).
    private func complete(_ partial: inout [UInt8], into state: inout State) -> String {
        if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
        state.tail.append(contentsOf: partial)
        state.tail.append(UInt8(ascii: "\n"))
        if state.tail.count > 2 * tailLimit {
            state.tail.removeFirst(state.tail.count - tailLimit)
            state.tailCut = true
        }
        let line = onLine == nil ? "" : String(decoding: partial, as: UTF8.self)
        partial.removeAll(keepingCapacity: true)
        return line
    }
}
