import Foundation

/// The curl config (`curl --config -`, read from stdin) for one notification POST: the URL, the headers and the body
/// travel on stdin, never on the command line, which every local user can read in `/proc/PID/cmdline`.
///
/// Only `https` is allowed, redirects are not followed (a 3xx is the answer), URL globbing is off, and stdout is the
/// HTTP status alone (`write-out`).
struct CurlConfig {
    /// The longest body written into the config itself. curl 7.88 reads a config line of at most 100 KiB; a longer
    /// body, or one holding a NUL byte (which a config line cannot), goes in a file named by `data-binary = "@…"`.
    static let inlineBodyLimit = 64 << 10

    let url: String
    let headers: [(String, String)]
    let timeout: Duration

    /// Whether `body` can be written into the config (``text(body:bodyFile:)`` with `bodyFile` nil).
    static func canInline(_ body: Data) -> Bool {
        body.count <= inlineBodyLimit && !body.contains(0)
    }

    /// The config, as bytes: `body` inline (`data-raw`: sent as is, and a leading `@` names no file), or, when
    /// `bodyFile` is given, read by curl from that file (`data-binary = "@file"`).
    func text(body: Data, bodyFile: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        func line(_ option: String, _ value: some Sequence<UInt8>) {
            out += Array(option.utf8) + Array(" = ".utf8) + Self.quoted(value) + [UInt8(ascii: "\n")]
        }
        func flag(_ option: String) { out += Array(option.utf8) + [UInt8(ascii: "\n")] }

        line("url", url.utf8)
        flag("globoff")
        line("proto", "=https".utf8)
        line("proto-redir", "=https".utf8)
        line("request", "POST".utf8)
        line("user-agent", "reconciler".utf8)
        // No `Expect: 100-continue` wait on larger bodies; no form content type the caller did not ask for.
        line("header", "Expect:".utf8)
        if !headers.contains(where: { $0.0.lowercased() == "content-type" }) { line("header", "Content-Type:".utf8) }
        for (name, value) in headers {
            // `Name;` is curl's spelling of a header with an empty value (`Name:` would remove it).
            line("header", (value.isEmpty ? "\(name);" : "\(name): \(value)").utf8)
        }
        if let bodyFile {
            line("data-binary", "@\(bodyFile)".utf8)
        } else {
            line("data-raw", body)
        }
        flag("silent")
        flag("show-error")
        line("max-time", Self.seconds(timeout).utf8)
        line("output", "/dev/null".utf8)
        line("write-out", "%{http_code}".utf8)
        return out
    }

    /// `value` in double quotes with curl's config escapes (`\\`, `\"`, `\n`, `\r`, `\t`, `\v`); every other byte is
    /// copied as it is.
    static func quoted(_ value: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in value {
            switch byte {
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0B: out += [UInt8(ascii: "\\"), UInt8(ascii: "v")]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }

    /// `duration` in seconds with a decimal point, as curl's `max-time` reads it (`15`, `0.5`).
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let millis = attoseconds / 1_000_000_000_000_000
        guard millis > 0 else { return "\(max(seconds, 1))" }
        var fraction = String(millis)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(seconds).\(fraction)"
    }
}
