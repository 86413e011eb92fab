import Foundation
import ReconcilerCore

/// `/deployments/<id>`: one deployment for a person (and the link a commit status on the forge points at): the
/// commit's subject and author, the result, the image changes, each step with its duration, and the masked tail of
/// a failed step's output.
package enum DeploymentPage {
    /// The most of a failed step's output the page shows: its last lines.
    static let tailLines = 40

    package static func render(_ detail: DeploymentDetail) -> String {
        let d = detail.record
        let e = StatusPage.e
        let css = d.result == .succeeded ? "ok" : (d.result == .running ? "warn" : "bad")
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>reconciler: deployment \(d.id)</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;line-height:1.4;color:#222}
            h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}
            table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #ddd;vertical-align:top}
            code,pre{font-size:.85rem}pre{background:#f6f8fa;padding:.5rem;overflow-x:auto}.ok{color:#1a7f37}.bad{color:#c00}.warn{color:#9a6700}
            </style></head><body>
            <h1>Deployment \(d.id) <span class="\(css)">\(e(d.result.rawValue))</span></h1>

            """
        html += "<p><code>\(e(d.toCommit.hex))</code> \(e(detail.subject ?? "(commit not in the clone)"))"
        if let author = detail.author { html += "<br>by \(e(author))" }
        html +=
            "<br>from <code>\(e(d.fromCommit?.short ?? "nothing deployed"))</code> · trigger \(e(d.trigger.rawValue))"
        html += " · started \(e(d.startedAt.formatted(.iso8601)))"
        if let ended = d.endedAt { html += " · took \(e(duration(from: d.startedAt, to: ended)))" }
        if let message = d.message { html += "<br>\(e(message))" }
        html += "</p>\n"
        let changes = detail.changes.filter { !$0.isEmpty }
        if !changes.isEmpty {
            html += "<h2>Changes</h2>\n<ul>\n"
            for unit in changes {
                html += "<li><b>\(e(unit.unit))</b><ul>"
                for image in unit.images {
                    switch image.change {
                    case .changed: html += "<li>image \(e(image.service)): <code>\(e(image.arrow))</code></li>"
                    case .added:
                        html += "<li>new service \(e(image.service)): <code>\(e(image.to ?? "no image"))</code></li>"
                    case .removed:
                        html +=
                            "<li>removed service \(e(image.service)): <code>\(e(image.from ?? "no image"))</code></li>"
                    }
                }
                for (label, values) in [
                    (".env.example keys added", unit.envKeysAdded), (".env.example keys removed", unit.envKeysRemoved),
                    ("ports added", unit.portsAdded), ("ports removed", unit.portsRemoved),
                    ("volumes added", unit.volumesAdded), ("volumes removed", unit.volumesRemoved),
                ] where !values.isEmpty {
                    html +=
                        "<li>\(e(label)): " + values.map { "<code>\(e($0))</code>" }.joined(separator: ", ") + "</li>"
                }
                html += "</ul></li>\n"
            }
            html += "</ul>\n"
        }
        html +=
            "<h2>Steps</h2>\n<table><tr><th>phase</th><th>unit</th><th>action</th><th>result</th><th>took</th></tr>\n"
        for step in d.steps {
            let took = step.endedAt.map { duration(from: step.startedAt, to: $0) } ?? "running"
            let css = step.result == .failed ? "bad" : (step.result == .succeeded ? "ok" : "")
            html += "<tr><td>\(e(step.phase.rawValue))</td><td>\(e(step.unit))</td><td>\(e(step.action.rawValue))</td>"
            html += "<td class=\"\(css)\">\(e(step.result.rawValue))"
            if let message = step.message { html += "<br><small>\(e(String(message.prefix(500))))</small>" }
            html += "</td><td>\(e(took))</td></tr>\n"
            if step.result == .failed, !step.logTail.isEmpty {
                let tail = step.logTail.split(separator: "\n", omittingEmptySubsequences: false).suffix(tailLines)
                html +=
                    "<tr><td colspan=\"5\"><pre>\(e(SecretMasker.shared.mask(tail.joined(separator: "\n"))))</pre></td></tr>\n"
            }
        }
        html += "</table>\n<p><small><a href=\"/\">status</a></small></p>\n</body></html>\n"
        return html
    }

    static func duration(from start: Date, to end: Date) -> String {
        ConfigDuration.format(Duration.seconds(max(0, end.timeIntervalSince(start))).rounded(to: 0.1))
    }
}
