//! The OpenAPI 3.0 document of the API, generated from the route table ([`super::ApiSpec`])
//! and the Rust types of each operation (schemars). Served at `/api/v1/openapi.json` and kept
//! in `docs/api/openapi.json`; a test fails when the two differ or when a route is missing
//! from the document.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use super::ApiSpec;

/// Error statuses every operation may answer, with their meaning.
const ERRORS: &[(&str, &str)] = &[
    ("400", "The request cannot be read."),
    ("401", "No valid API token."),
    (
        "403",
        "The token's scopes or its account's roles do not allow this.",
    ),
    ("404", "No such record, or not one this account may see."),
    ("413", "The body is too large."),
    ("422", "A field is wrong: `error.field` names it."),
    (
        "503",
        "Busy or storage full: retry after `Retry-After` seconds.",
    ),
];

/// The document of every operation, as `satis export openapi` prints it.
pub fn pretty(specs: &[ApiSpec]) -> String {
    serde_json::to_string_pretty(&document(specs)).unwrap_or_default()
}

/// The whole document.
pub fn document(specs: &[ApiSpec]) -> Value {
    let mut g = SchemaSettings::openapi3().into_generator();
    struct Raw<'a> {
        spec: &'a ApiSpec,
        query: Option<Value>,
        body: Option<Value>,
        response: Option<Value>,
    }
    let raws: Vec<Raw<'_>> = specs
        .iter()
        .map(|spec| Raw {
            spec,
            query: spec.query.map(|f| f(&mut g).to_value()),
            body: spec.body.map(|f| f(&mut g).to_value()),
            response: spec.response.map(|f| f(&mut g).to_value()),
        })
        .collect();
    let mut schemas: Map<String, Value> = g.take_definitions(true);
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    for raw in &raws {
        let spec = raw.spec;
        let mut params: Vec<Value> = path_params(spec.path)
            .into_iter()
            .map(|name| {
                json!({"name": name, "in": "path", "required": true,
                       "schema": {"type": "integer", "format": "int32", "minimum": 1}})
            })
            .collect();
        if let Some(q) = &raw.query {
            params.extend(query_params(resolve(q, &schemas)));
        }
        if spec.idempotent {
            params.push(json!({
                "name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Makes a resend safe: the first answer is given again.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 100,
                           "pattern": "^[!-~]+$"}
            }));
        }
        if spec.if_match {
            params.push(json!({
                // Needed, but documented as optional: without it the answer is a documented
                // 428 (RFC 6585), which a client must be able to receive and read.
                "name": "If-Match", "in": "header", "required": false,
                "description": "The ETag of the record as the caller last read it. Without it \
                                the answer is 428; with an old one, 412.",
                "schema": {"type": "string"}
            }));
        }
        let mut responses = Map::new();
        let mut success = json!({"description": "Done."});
        if let Some(r) = &raw.response {
            success["content"] = json!({"application/json": {"schema": r}});
        }
        let mut headers = Map::new();
        if spec.etag {
            headers.insert(
                "ETag".into(),
                json!({"description": "The record's version, for If-Match.",
                       "schema": {"type": "string"}}),
            );
        }
        if spec.paged {
            headers.insert(
                "Link".into(),
                json!({"description": "While the page is full: `<…?after=CURSOR…>; rel=\"next\"`, \
                                       the address of the next page (keyset pagination: \
                                       no record skipped nor repeated when others are \
                                       written meanwhile).",
                       "schema": {"type": "string"}}),
            );
        }
        if spec.success == 201 {
            headers.insert(
                "Location".into(),
                json!({"description": "Where the new record is.", "schema": {"type": "string"}}),
            );
        }
        if spec.idempotent {
            // A create sent again with the same `Idempotency-Key` gets the first answer again,
            // status included, marked by `Idempotent-Replayed: true`.
            success["description"] = json!(
                "Created; or, sent again with the same Idempotency-Key, the first answer again \
                 (with the header Idempotent-Replayed: true)."
            );
            headers.insert(
                "Idempotent-Replayed".into(),
                json!({"description": "`true` when this is the answer recorded under the key.",
                       "schema": {"type": "string"}}),
            );
        }
        if !headers.is_empty() {
            success["headers"] = Value::Object(headers);
        }
        responses.insert(spec.success.to_string(), success);
        if spec.idempotent || (spec.method == axum::http::Method::PATCH && !spec.if_match) {
            // 409: the record cannot be made as asked (a full shelter, no consent, a possible
            // duplicate) — the message says why.
            for code in ["409", "415"] {
                responses.insert(code.into(), json!({"$ref": "#/components/responses/Error"}));
            }
        }
        if spec.if_match {
            for code in ["409", "412", "415", "428"] {
                responses.insert(code.into(), json!({"$ref": "#/components/responses/Error"}));
            }
        }
        for (code, _) in ERRORS {
            responses.insert(
                (*code).into(),
                json!({"$ref": "#/components/responses/Error"}),
            );
        }
        let mut op = json!({
            "operationId": spec.operation_id,
            "summary": spec.summary,
            "tags": [spec.tag],
            "security": [{"token": []}],
            "x-scope": spec.scope,
            "parameters": params,
            "responses": responses,
        });
        if let Some(b) = &raw.body {
            op["requestBody"] = json!({"required": true,
                                       "content": {"application/json": {"schema": b}}});
            if let Some(example) = spec
                .example
                .and_then(|e| serde_json::from_str::<Value>(e).ok())
            {
                op["requestBody"]["content"]["application/json"]["example"] = example;
            }
        }
        paths
            .entry(spec.full_path())
            .or_default()
            .insert(spec.method.as_str().to_ascii_lowercase(), op);
    }
    add_links(&mut paths, &schemas);
    schemas.insert("Error".into(), error_schema());
    let errors: Vec<String> = ERRORS.iter().map(|(c, m)| format!("{c}: {m}")).collect();
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "SATIS API",
            "version": "1",
            "description": format!(
                "The JSON API of SATIS, the information system of the Tuscan network against \
                 human trafficking. A token (`satis token create`) acts as one staff account in \
                 one organisation, narrowed by its scopes. Errors: {}.",
                errors.join("; ")
            ),
            "license": {"name": "EUPL-1.2"}
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "responses": {
                "Error": {
                    "description": "An error, with a stable code and a translated message.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            },
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer",
                          "description": "An API token, `satis_…`."}
            }
        }
    })
}

/// OpenAPI links from every create whose answer carries the new record's `id` to the
/// operations on that record (`{create path}/{id}…`): what a client does next, and what lets
/// a stateful test walk from a created record to its reads and changes.
fn add_links(paths: &mut BTreeMap<String, Map<String, Value>>, schemas: &Map<String, Value>) {
    let mut next: Vec<(String, String, String)> = Vec::new();
    for (path, ops) in paths.iter() {
        for (method, op) in ops {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            next.push((path.clone(), method.clone(), id.to_owned()));
        }
    }
    for (path, ops) in paths.iter_mut() {
        let Some(create) = ops.get_mut("post") else {
            continue;
        };
        let Some(created) = create["responses"].get_mut("201") else {
            continue;
        };
        let schema = &created["content"]["application/json"]["schema"];
        if resolve(schema, schemas)["properties"].get("id").is_none() {
            continue;
        }
        let prefix = format!("{path}/{{id}}");
        let mut links = Map::new();
        for (other, _, operation_id) in &next {
            let on_record = other == &prefix || other.starts_with(&format!("{prefix}/"));
            if on_record && path_params(other).len() == 1 {
                links.insert(
                    operation_id.clone(),
                    json!({"operationId": operation_id,
                           "parameters": {"id": "$response.body#/id"}}),
                );
            }
        }
        if !links.is_empty() {
            created["links"] = Value::Object(links);
        }
    }
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "reference"],
                "properties": {
                    "code": {"type": "string", "description": "Stable, for programs."},
                    "message": {"type": "string", "description": "Translated, for people."},
                    "reference": {"type": "string", "description": "The request's id in the log."},
                    "field": {"type": "string", "description": "The wrong field, if one is."}
                }
            }
        }
    })
}

/// The `{name}` parameters of a path, in order.
pub fn path_params(path: &str) -> Vec<String> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(str::to_owned)
        .collect()
}

fn resolve<'a>(schema: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| defs.get(name))
        .unwrap_or(schema)
}

fn query_params(schema: &Value) -> Vec<Value> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, s)| {
            let mut s = s.clone();
            let description = s
                .as_object_mut()
                .and_then(|o| o.remove("description"))
                .unwrap_or(Value::String(String::new()));
            if let Some(o) = s.as_object_mut() {
                o.remove("nullable");
            }
            json!({"name": name, "in": "query", "required": required.contains(&name.as_str()),
                   "description": description, "schema": s})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_found_in_order() {
        assert_eq!(path_params("/cases/{id}/phase/{n}"), vec!["id", "n"]);
        assert!(path_params("/cases").is_empty());
    }
}
