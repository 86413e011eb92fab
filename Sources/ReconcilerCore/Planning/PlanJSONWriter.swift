import Foundation

/// Writes `plan --json` directly, byte for byte what ``StableJSON`` (JSONEncoder: pretty, sorted keys, slashes
/// unescaped) writes for the same plan, without the encoder's reflection and key sorting: a plan of 2,000 steps
/// is most of a plan process's time through JSONEncoder. `PlanJSONTests` holds the two to the same output.
enum PlanJSONWriter {
    static func write(_ plan: Plan) -> String {
        var out = ""
        out.reserveCapacity(256 + plan.steps.count * 200)
        object(&out, depth: 0) { field in
            if let changes = plan.changes {
                field("changes") { out, depth in unitChanges(&out, changes, depth: depth) }
            }
            field("from") { out, depth in
                if let from = plan.from { commit(&out, from, depth: depth) } else { out += "null" }
            }
            if let host = plan.host { field("host") { out, _ in string(&out, host) } }
            field("ignoredPaths") { out, depth in strings(&out, plan.ignoredPaths, depth: depth) }
            field("pruned") { out, depth in strings(&out, plan.pruned, depth: depth) }
            if plan.runningUnknown { field("runningUnknown") { out, _ in out += "true" } }
            field("steps") { out, depth in
                array(&out, plan.steps, depth: depth) { out, step, depth in
                    object(&out, depth: depth) { field in
                        field("action") { out, _ in string(&out, step.action.rawValue) }
                        field("paths") { out, depth in strings(&out, step.paths, depth: depth) }
                        field("reason") { out, _ in string(&out, step.reason.rawValue) }
                        field("unit") { out, _ in string(&out, step.unit) }
                        field("wave") { out, _ in out += String(step.wave) }
                    }
                }
            }
            field("system") { out, _ in out += plan.system ? "true" : "false" }
            field("to") { out, depth in commit(&out, plan.to, depth: depth) }
            field("units") { out, depth in strings(&out, plan.units, depth: depth) }
        }
        return out
    }

    private typealias Value = (inout String, Int) -> Void

    private static func unitChanges(_ out: inout String, _ changes: [UnitChanges], depth: Int) {
        array(&out, changes, depth: depth) { out, unit, depth in
            object(&out, depth: depth) { field in
                field("envKeysAdded") { out, depth in strings(&out, unit.envKeysAdded, depth: depth) }
                field("envKeysRemoved") { out, depth in strings(&out, unit.envKeysRemoved, depth: depth) }
                field("images") { out, depth in
                    array(&out, unit.images, depth: depth) { out, image, depth in
                        object(&out, depth: depth) { field in
                            field("change") { out, _ in string(&out, image.change.rawValue) }
                            field("from") { out, _ in optional(&out, image.from) }
                            field("service") { out, _ in string(&out, image.service) }
                            field("to") { out, _ in optional(&out, image.to) }
                        }
                    }
                }
                field("notes") { out, depth in strings(&out, unit.notes, depth: depth) }
                field("portsAdded") { out, depth in strings(&out, unit.portsAdded, depth: depth) }
                field("portsRemoved") { out, depth in strings(&out, unit.portsRemoved, depth: depth) }
                field("unit") { out, _ in string(&out, unit.unit) }
                field("volumesAdded") { out, depth in strings(&out, unit.volumesAdded, depth: depth) }
                field("volumesRemoved") { out, depth in strings(&out, unit.volumesRemoved, depth: depth) }
            }
        }
    }

    private static func optional(_ out: inout String, _ text: String?) {
        if let text { string(&out, text) } else { out += "null" }
    }

    private static func commit(_ out: inout String, _ ref: CommitRef, depth: Int) {
        object(&out, depth: depth) { field in
            field("commit") { out, _ in string(&out, ref.commit) }
            field("summary") { out, _ in string(&out, ref.summary) }
        }
    }

    /// `{`, each field on its own line as `"key" : value` (keys given in sorted order), `}`.
    private static func object(_ out: inout String, depth: Int, _ fields: ((String, Value) -> Void) -> Void) {
        var first = true
        out += "{"
        fields { key, value in
            out += first ? "\n" : ",\n"
            first = false
            indent(&out, depth + 1)
            out += "\""
            out += key
            out += "\" : "
            value(&out, depth + 1)
        }
        out += "\n"
        indent(&out, depth)
        out += "}"
    }

    /// `[`, each element on its own line, `]`; an empty array is `[`, an empty line, `]`, as JSONEncoder writes it.
    private static func array<T>(_ out: inout String, _ items: [T], depth: Int, _ item: (inout String, T, Int) -> Void)
    {
        out += "["
        if items.isEmpty {
            out += "\n\n"
        } else {
            for (index, element) in items.enumerated() {
                out += index == 0 ? "\n" : ",\n"
                indent(&out, depth + 1)
                item(&out, element, depth + 1)
            }
            out += "\n"
        }
        indent(&out, depth)
        out += "]"
    }

    private static func strings(_ out: inout String, _ items: [String], depth: Int) {
        array(&out, items, depth: depth) { out, text, _ in string(&out, text) }
    }

    private static func indent(_ out: inout String, _ depth: Int) {
        out += String(repeating: " ", count: depth * 2)
    }

    /// A JSON string. Printable ASCII without a quote or backslash (every unit id and nearly every path) is written
    /// as it is; anything else goes through JSONEncoder itself, so the escaping is exactly its own.
    private static func string(_ out: inout String, _ text: String) {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            out += "\""
            out += text
            out += "\""
        } else {
            out += StableJSON.encode(text)
        }
    }
}
