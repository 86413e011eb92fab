import Foundation
import ReconcilerCore

/// The status page for a person with a browser: plain server-rendered HTML, no JavaScript, readable on a phone,
/// refreshed by the browser every 15 s.
package enum StatusPage {
    package static func render(report: StatusReport, daemon: DaemonSnapshot, history: [DeploymentRecord]) -> String {
        let overall = overallState(report: report, daemon: daemon)
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="15">
            <title>reconciler: \(e(overall.word))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;line-height:1.4;color:#222}
            h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}
            table{border-collapse:collapse;width:100%;font-size:.9rem}td,th{text-align:left;padding:.3rem;border-bottom:1px solid #ddd;vertical-align:top}
            code{font-size:.85rem}.ok{color:#1a7f37}.bad{color:#c00}.warn{color:#9a6700}
            .state{font-weight:bold;padding:.1rem .5rem;border-radius:.3rem;border:1px solid currentColor}
            details{margin:.2rem 0}@media(max-width:40rem){td,th{display:block;border:0}tr{border-bottom:1px solid #ddd;display:block}}
            </style></head><body>
            <h1>reconciler <span class="state \(overall.css)">\(e(overall.word))</span></h1>

            """
        html += "<p>Deployed: \(commit(report.deployed))<br>Remote head: \(commit(report.remote))"
        if let since = daemon.fetchFailingSince {
            html += "<br><span class=\"bad\">Fetch failing since \(e(since.formatted(.iso8601)))"
            if let next = daemon.nextPollAt { html += ", next try at \(e(next.formatted(.iso8601)))" }
            html += ": \(e(daemon.fetchError ?? ""))</span>"
        } else if let next = daemon.nextPollAt {
            html += "<br>Next poll: \(e(next.formatted(.iso8601)))"
        }
        if let degraded = report.degraded {
            html +=
                "<br><span class=\"bad\">Degraded since \(e(degraded.at.formatted(.iso8601))): \(e(degraded.reason))</span>"
        }
        if let outage = report.outage, daemon.fetchFailingSince == nil {
            html += "<br><span class=\"bad\">Outage since \(e(outage.at.formatted(.iso8601))): \(e(outage.reason))"
            html += "<br>\(e(String(outage.commit.prefix(12)))) waits to deploy"
            if let next = daemon.nextPollAt { html += "; next try at \(e(next.formatted(.iso8601)))" }
            html += "</span>"
        }
        if let hold = report.hold {
            html += "<br><span class=\"warn\">Held at \(e(String(hold.commit.prefix(12)))): \(e(hold.reason))</span>"
        }
        if !report.drift.isEmpty {
            html += "<br><span class=\"bad\">Drift: \(e(report.drift.joined(separator: ", ")))</span>"
        }
        if let reboot = report.rebootNeeded {
            html += "<br><span class=\"warn\">Reboot needed for \(e(reboot.joined(separator: ", ")))</span>"
        }
        html +=
            "</p>\n<h2>Units</h2>\n<table><tr><th>unit</th><th>live</th><th>state</th><th>commit</th><th>heals</th></tr>\n"
        for unit in report.units {
            let live = unit.live ?? "-"
            let liveCSS = live.hasPrefix("running") ? "ok" : (unit.live == nil ? "" : "bad")
            let budget =
                daemon.healBudget[unit.id].map { "\($0.used)/\($0.limit)\($0.exhausted ? " exhausted" : "")" } ?? ""
            html += "<tr><td><b>\(e(unit.id))</b></td><td class=\"\(liveCSS)\">\(e(live))</td>"
            html += "<td>\(e(unit.state))\(unit.message.map { "<br><small>\(e($0))</small>" } ?? "")</td>"
            html +=
                "<td><code>\(e(unit.commit.map { String($0.prefix(12)) } ?? "-"))</code></td><td>\(e(budget))</td></tr>\n"
        }
        html +=
            "</table>\n<h2>Last deployments</h2>\n<table><tr><th>#</th><th>when</th><th>trigger</th><th>commit</th><th>result</th></tr>\n"
        for d in history {
            let css = d.result == .succeeded ? "ok" : (d.result == .running ? "warn" : "bad")
            html +=
                "<tr><td><a href=\"/deployments/\(d.id)\">\(d.id)</a></td><td>\(e(d.startedAt.formatted(.iso8601)))</td><td>\(e(d.trigger.rawValue))</td>"
            html +=
                "<td><code>\(e(d.toCommit.short))</code></td><td class=\"\(css)\">\(e(d.result.rawValue))"
            if !d.steps.isEmpty || d.message != nil {
                html += "<details><summary>\(d.steps.count) step(s)</summary>"
                if let m = d.message { html += "<p>\(e(m))</p>" }
                html += "<ul>"
                for s in d.steps {
                    html += "<li>\(e(s.phase.rawValue)) \(e(s.unit)) \(e(s.action.rawValue)): \(e(s.result.rawValue))"
                    if let m = s.message { html += " — \(e(String(m.prefix(300))))" }
                    html += "</li>"
                }
                html += "</ul></details>"
            }
            html += "</td></tr>\n"
        }
        html += "</table>\n<p><small>Polling every \(Int(daemon.pollIntervalSeconds)) s · "
        html +=
            "<a href=\"/status\">/status</a> · <a href=\"/metrics\">/metrics</a> · <a href=\"/healthz\">/healthz</a>"
        html += "</small></p>\n</body></html>\n"
        return html
    }

    static func overallState(report: StatusReport, daemon: DaemonSnapshot) -> (word: String, css: String) {
        if report.degraded != nil { return ("degraded", "bad") }
        if daemon.fetchFailingSince != nil { return ("fetch failing", "bad") }
        if report.outage != nil { return ("outage", "bad") }
        if report.hold != nil { return ("held", "warn") }
        if report.state != .ok { return (report.state.rawValue, "bad") }
        return ("ok", "ok")
    }

    static func commit(_ ref: CommitRef?) -> String {
        guard let ref else { return "—" }
        return "<code>\(e(String(ref.commit.prefix(12))))</code> \(e(ref.summary))"
    }

    /// HTML-escapes text and drops control characters (ESC and BEL from a commit message would reach a terminal
    /// running `curl host:9876/`); newlines and tabs stay.
    static func e(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            if c.unicodeScalars.contains(where: isControl) { continue }
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// C0 controls but newline and tab, DEL, and C1 controls.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00...0x1F, 0x7F...0x9F: true
        default: false
        }
    }
}
