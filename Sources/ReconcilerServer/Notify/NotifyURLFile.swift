import Foundation
import Logging
import ReconcilerCore

#if canImport(Glibc)
import Glibc
#endif

extension Notifier {
    /// Where entry `index` is sent now: its `url`, or the content of its `urlFile` read at this send (so replacing
    /// the file takes effect without a restart). The file's content is a secret: it is added to the run's masker
    /// before it is used, with the password of the URL.
    /// - Throws: ``Failure`` naming `notify[index]` and the file when it is missing, unreadable, readable by group
    ///   or others, empty, or not a usable URL (``NotifyURL/problem(_:)``); the URL itself is never quoted.
    static func destination(of target: NotifyTarget, index: Int) throws -> String {
        guard let path = target.urlFile else { return target.url }
        let name = "notify[\(index)] (\(target.kind.rawValue))"
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw Failure(
                description: "\(name): its urlFile \(path) does not exist; write the URL into it "
                    + "(umask 077; printf '%s\\n' URL > \(path))"
            )
        }
        if info.st_mode & 0o077 != 0 {
            throw Failure(
                description: "\(name): its urlFile \(path) is readable by group or others (mode "
                    + "\(String(info.st_mode & 0o777, radix: 8))) and the URL carries a token; fix it with: chmod 600 \(path)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(
                description: "\(name): cannot read its urlFile \(path); check that the reconciler's user owns it"
            )
        }
        let url = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        addToMasker(url)
        guard !url.isEmpty else {
            throw Failure(description: "\(name): its urlFile \(path) is empty; write the URL into it")
        }
        if let problem = NotifyURL.problem(url) {
            throw Failure(description: "\(name): the URL in its urlFile \(path) \(problem)")
        }
        return url
    }

    /// The URL's parts that can carry its token, as secrets: the whole URL, everything after the host, the last
    /// path segment (Discord's token, ntfy's topic) and every query value (and a password, if it has one).
    static func addToMasker(_ url: String, masker: SecretMasker = .shared) {
        masker.add(url)
        masker.addURL(url)
        guard let components = URLComponents(string: url) else { return }
        let path = components.percentEncodedPath
        masker.add(path + (components.percentEncodedQuery.map { "?\($0)" } ?? ""))
        if let last = path.split(separator: "/").last {
            masker.add(String(last))
            masker.add(String(last).removingPercentEncoding ?? String(last))
        }
        for item in components.queryItems ?? [] {
            if let value = item.value { masker.add(value) }
        }
    }

    /// Says at start what is wrong with each `urlFile` now, so a missing or public file shows up before the first
    /// event; each send reads the file again.
    static func checkURLFiles(_ targets: [NotifyTarget], logger: Logger) {
        for (index, target) in targets.enumerated() where target.urlFile != nil {
            do {
                _ = try destination(of: target, index: index)
            } catch {
                logger.warning("notification not deliverable until fixed", metadata: ["error": "\(error)"])
            }
        }
    }
}
