import CLibGit2
import Foundation

/// libgit2's process-wide set-up, run once on first use (a global `let` is initialised lazily and exactly once).
/// Without `git_libgit2_init()` every libgit2 call fails; the socket stream gives fetches their deadline.
private let libgit2Runtime: Bool = {
    git_libgit2_init()
    SocketStream.register()
    return true
}()

/// Call before the first libgit2 call of any entry point.
func ensureLibgit2() {
    _ = libgit2Runtime
}

extension GitError {
    /// The error libgit2 reported for `call`, which returned `rc`.
    ///
    /// Reads `git_error_last()`, which is thread-local: call it in the same synchronous code, straight after the
    /// failing call.
    static func libgit2(_ call: String, _ rc: Int32, code: Code? = nil, context: String? = nil) -> GitError {
        var errorClass: Int32 = 0
        var message = "failed with code \(rc)"
        if let last = git_error_last() {
            errorClass = last.pointee.klass
            if let m = last.pointee.message {
                let text = String(cString: m).trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { message = text }
            }
        }
        return GitError(
            code: code ?? Code(libgit2: rc, errorClass: errorClass),
            call: call,
            errorClass: errorClass,
            message: message,
            context: context
        )
    }
}

extension GitError.Code {
    /// The code that fits a libgit2 return value and error class.
    init(libgit2 rc: Int32, errorClass: Int32) {
        switch rc {
        case GIT_ENOTFOUND.rawValue: self = .notFound
        case GIT_EAUTH.rawValue: self = .auth
        case GIT_ECERTIFICATE.rawValue: self = .certificate
        case GIT_ECONFLICT.rawValue, GIT_EMERGECONFLICT.rawValue, GIT_EUNMERGED.rawValue, GIT_ELOCKED.rawValue:
            self = .conflict
        case GIT_EAMBIGUOUS.rawValue, GIT_EINVALIDSPEC.rawValue: self = .badRevision
        default:
            switch UInt32(bitPattern: errorClass) {
            case GIT_ERROR_NET.rawValue, GIT_ERROR_SSH.rawValue, GIT_ERROR_HTTP.rawValue, GIT_ERROR_SSL.rawValue:
                self = .network
            default:
                self = .other
            }
        }
    }
}

/// Throws the libgit2 error for `call` when `rc` is negative.
@inline(__always)
func check(_ rc: Int32, _ call: String, code: GitError.Code? = nil, context: String? = nil) throws {
    if rc < 0 { throw GitError.libgit2(call, rc, code: code, context: context) }
}

/// Sets libgit2's thread-local error, so that a failure we return from a callback carries our words.
func setLibgit2Error(_ errorClass: git_error_t, _ message: String) {
    git_error_set_str(Int32(bitPattern: errorClass.rawValue), message)
}

extension ObjectID {
    init(_ oid: UnsafePointer<git_oid>) {
        let hex = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 41) { buffer -> String in
            git_oid_tostr(buffer.baseAddress, 41, oid)
            return String(cString: buffer.baseAddress!)
        }
        self.init(hex: hex)
    }

    init(_ oid: git_oid) {
        var copy = oid
        self.init(&copy)
    }

    /// The libgit2 form. Throws `.badRevision` unless this is a full 40-digit hex id.
    func gitOID() throws -> git_oid {
        var oid = git_oid()
        guard hex.utf8.count == 40, hex.utf8.allSatisfy(\.isASCIIHexDigit),
            git_oid_fromstrn(&oid, hex, 40) == 0
        else {
            throw GitError(
                code: .badRevision,
                call: "git_oid_fromstrn",
                message: "not a full 40-digit object id",
                context: hex
            )
        }
        return oid
    }
}

extension UInt8 {
    fileprivate var isASCIIHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x61...0x66).contains(self) || (0x41...0x46).contains(self)
    }
}

/// A C string from libgit2, or nil.
func string(_ p: UnsafePointer<CChar>?) -> String? {
    p.map { String(cString: $0) }
}
