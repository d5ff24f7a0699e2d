import Foundation

/// The OpenAPI 3.1 document of the API, served at `/api/openapi.json`: the paths from the
/// endpoint table (so a new endpoint is documented by being added), the answers' schemas here.
enum OpenAPIDocument {
    /// The document as JSON bytes, built once.
    static let json: Data = {
        (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }()

    static var document: [String: Any] {
        var paths: [String: Any] = [:]
        for e in Endpoints.all {
            let item: [String: Any] = e.isList ? ["type": "array", "items": ref(e.schema)] : ref(e.schema)
            paths[e.path] = ["get": operation(e.summary, parameters: e.parameters.map(parameter), ok: ["application/json": ["schema": item]])]
        }
        paths["/"] = ["get": operation("The status page: one screen of HTML, reloading itself.", parameters: StatusPage.parameters.map(parameter),
                                       ok: ["text/html": ["schema": ["type": "string"]]])]
        paths["/api/openapi.json"] = ["get": operation("This document.", parameters: [], ok: ["application/json": ["schema": ["type": "object"]]])]
        return [
            "openapi": "3.1.0",
            "info": ["title": "Tidemark", "version": "1",
                     "description": "The read-only API of `tidemark serve`: the objects of the CLI's `--json`. Lists are paged with `limit` and `after` "
                        + "(the next page's URL is in the `Link: <…>; rel=\"next\"` header). Bound to another address than loopback, every request "
                        + "needs `Authorization: Bearer TOKEN`."],
            "paths": paths,
            "components": ["schemas": schemas, "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer"]]],
        ]
    }

    private static func operation(_ summary: String, parameters: [[String: Any]], ok: [String: Any]) -> [String: Any] {
        let error = ["application/json": ["schema": ref("Error")]]
        return ["summary": summary, "parameters": parameters,
                "responses": ["200": ["description": "OK", "content": ok],
                              "400": ["description": "A bad parameter, named", "content": error],
                              "401": ["description": "No token, or the wrong one", "content": error],
                              "503": ["description": "The catalog cannot be read", "content": error]]]
    }

    private static func parameter(_ p: Parameter) -> [String: Any] {
        var schema: [String: Any] = switch p.kind {
        case .integer(let r): ["type": "integer", "minimum": r.lowerBound, "maximum": r.upperBound]
        case .boolean: ["type": "boolean"]
        case .choice(let words): ["type": "string", "enum": words]
        case .time, .timeOrRange, .text, .duration, .cursor: ["type": "string"]
        }
        if p.repeatable { schema = ["type": "array", "items": schema] }
        var out: [String: Any] = ["name": p.name, "in": "query", "required": p.required, "description": p.summary, "schema": schema]
        if p.repeatable { (out["style"], out["explode"]) = ("form", true) }
        return out
    }

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    private static var string: [String: Any] { ["type": "string"] }
    private static var time: [String: Any] { ["type": "string", "format": "date-time"] }
    private static var optionalString: [String: Any] { ["type": ["string", "null"]] }
    private static var optionalTime: [String: Any] { ["type": ["string", "null"], "format": "date-time"] }
    private static var integer: [String: Any] { ["type": "integer"] }
    private static var optionalInteger: [String: Any] { ["type": ["integer", "null"]] }

    /// An object with exactly these properties, each required but those in `optional`.
    private static func object(_ properties: [String: [String: Any]], optional: Set<String> = []) -> [String: Any] {
        ["type": "object", "properties": properties, "required": properties.keys.filter { !optional.contains($0) }.sorted(),
         "additionalProperties": false]
    }

    private static var schemas: [String: Any] {
        [
            "CatalogEntry": object([
                "path": string, "path_bytes": ["type": "string", "description": "The path's bytes in hex, when it is not UTF-8."],
                "context": string, "category": string, "stream": string, "dataset": optionalString, "size": integer,
                "start": optionalTime, "end": optionalTime, "source": string,
                "state": ["type": "string", "enum": ["live", "missing", "deleted", "purged"]],
                "gone_at": optionalTime, "gone_by": optionalString, "error": optionalString, "notes": optionalString,
            ], optional: ["path_bytes"]),
            "Span": object(["start": time, "end": time, "seconds": ["type": "number"]]),
            "CoverageRow": object([
                "context": string, "category": string, "stream": string,
                "covered": ["type": "array", "items": ref("Span")], "gaps": ["type": "array", "items": ref("Span")],
                "gone": ["type": "array", "items": ref("Span")], "fraction": ["type": "number", "minimum": 0, "maximum": 1],
            ], optional: ["stream"]),
            "ReportRow": object([
                "group": ["type": "object", "additionalProperties": ["type": "string"]], "files": integer, "bytes": integer,
                "oldest": optionalTime, "newest": optionalTime, "missing": integer, "deleted": integer,
            ]),
            "Dataset": object([
                "dataset": string, "context": string, "category": string, "stream": optionalString, "state": optionalString,
                "state_since": optionalTime, "next": ["type": "array", "items": string], "files": integer, "bytes": integer,
                "start": optionalTime, "end": optionalTime,
            ]),
            "Host": object([
                "name": string, "address": string, "port": integer, "identity": string,
                "state": ["type": "string", "enum": ["up", "repair", "down"]], "on": ["type": "boolean"], "copies": integer,
                "added": time, "changed": time,
            ], optional: ["address", "port", "identity"]),
            "Copy": object([
                "id": integer, "dataset": string, "context": string, "category": string, "host": string, "path": string,
                "path_bytes": optionalString, "state": ["type": "string", "enum": ["new", "run", "full", "fault"]], "fault": optionalInteger,
                "fault_name": optionalString, "bytes": integer, "epoch": optionalTime, "dtime": ["type": ["number", "null"]],
                "attempts": integer, "message": optionalString, "verified": ["type": "boolean"], "queued": time, "claimer": optionalString,
                "lease_until": optionalTime,
            ]),
            "Request": object([
                "id": integer, "state": ["type": "string", "enum": ["new", "run", "full", "fault"]], "fault": optionalInteger,
                "fault_name": optionalString, "label": optionalString, "priority": integer, "context": string,
                "categories": ["type": "array", "items": string], "stream": optionalString, "start": optionalTime, "end": optionalTime,
                "files": integer, "ready": integer, "dependents": integer, "message": optionalString, "created": time, "changed": time,
                "finished": optionalTime, "pinned_until": optionalTime, "source": optionalString,
                "file_list": ["type": ["array", "null"], "items": ["type": "object"]],
            ]),
            "Dependent": object([
                "id": integer, "path": string, "path_bytes": optionalString, "context": string, "category": string, "stream": string,
                "start": optionalTime, "end": optionalTime, "state": ["type": "string", "enum": ["new", "run", "full", "fault"]],
                "fault": optionalInteger, "fault_name": optionalString, "requests": ["type": "array", "items": integer],
                "message": optionalString, "file_state": string, "claimer": optionalString, "attempts": integer, "created": time, "changed": time,
            ]),
            "Run": object([
                "kind": ["type": "string", "enum": ["scan", "policy"]], "id": integer, "context": string, "policy": optionalString,
                "started": time, "finished": optionalTime, "status": string, "files": optionalInteger, "errors": optionalInteger,
                "planned": optionalInteger, "done": optionalInteger, "skipped": optionalInteger, "failed": optionalInteger,
                "bytes": optionalInteger,
            ]),
            "JournalEntry": object([
                "id": integer, "run": integer, "file_id": integer, "action": string, "rule": string, "size": integer, "intended": time,
                "result": ["type": ["string", "null"], "enum": ["done", "gone", "skipped", "failed", "not-done", NSNull()]],
                "detail": optionalString,
            ]),
            "Health": object(["status": ["type": "string", "enum": ["ok"]], "catalog": string, "contexts": ["type": "array", "items": string],
                              "now": time]),
            "Error": object(["error": string, "parameter": optionalString, "status": integer]),
        ]
    }
}
