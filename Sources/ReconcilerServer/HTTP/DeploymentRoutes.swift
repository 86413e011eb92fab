import Hummingbird
import Logging
import ReconcilerCore

/// `GET /deployments/<id>`: one deployment's page (``DeploymentPage``), what a commit status on the forge links to.
package struct DeploymentRoutes: Sendable {
    let engine: any DeployEngine

    package init(engine: any DeployEngine) {
        self.engine = engine
    }

    package func add(to router: Router<DaemonRequestContext>) {
        router.get("/deployments/:id") { _, context in
            guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else {
                return Reply.text(.notFound, "no such deployment: the id is a number from the status page\n")
            }
            guard let detail = try engine.deploymentDetail(id: id) else {
                return Reply.text(.notFound, "no deployment \(id)\n")
            }
            return Reply.text(.ok, DeploymentPage.render(detail), contentType: "text/html; charset=utf-8")
        }
    }
}
