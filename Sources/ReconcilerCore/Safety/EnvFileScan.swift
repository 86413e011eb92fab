import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds every regular file named `.env` under a directory, without following symlinks and skipping `.git`, from the
/// directory entries' own types (`readdir`'s `d_type`): no `stat` per file, so a work tree of thousands of files
/// costs a millisecond, not the hundreds that `FileManager.attributesOfItem` (an `lstat` and an owner lookup per
/// file) cost on every command's start.
enum EnvFileScan {
    static func envFiles(under root: String) -> [String] {
        files(under: root) { $0 == ".env" }
    }

    /// Every regular file under `root` whose name `matches`, found the same way (no link followed, `.git` skipped).
    static func files(under root: String, named matches: (String) -> Bool) -> [String] {
        var found: [String] = []
        var pending = [root]
        while let directory = pending.popLast() {
            guard let stream = opendir(directory) else { continue }
            defer { closedir(stream) }
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name == "." || name == ".." || name == ".git" { continue }
                let path = "\(directory)/\(name)"
                var type = Int32(entry.pointee.d_type)
                if type == Int32(DT_UNKNOWN) {
                    // Some file systems do not fill d_type: ask lstat (never following a link).
                    var info = stat()
                    guard lstat(path, &info) == 0 else { continue }
                    switch info.st_mode & S_IFMT {
                    case S_IFDIR: type = Int32(DT_DIR)
                    case S_IFREG: type = Int32(DT_REG)
                    default: continue
                    }
                }
                if type == Int32(DT_DIR) {
                    pending.append(path)
                } else if type == Int32(DT_REG), matches(name) {
                    found.append(path)
                }
            }
        }
        return found.sorted()
    }
}
