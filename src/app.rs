//! The composition root: the one module that knows every area. It assembles the pages, the API
//! operations, the session and token layers and the list of encrypted columns from what each
//! area registers, so that `platform` (config, db, policy, audit, crypto, i18n, web shell)
//! imports no area and an area is added here, in one place.

use axum::Router;
use axum::middleware;

use crate::platform::api::ApiRoutes;
use crate::platform::keys::{EncryptedColumn, LegacyPlain};
use crate::platform::web::routes::Routes;
use crate::platform::web::{self, SharedState};

/// Every page of the application with its access rule (the access-matrix test walks these).
pub fn page_routes() -> Routes {
    web::platform_routes()
        .merge(crate::home::routes())
        .merge(crate::identity::routes())
        .merge(crate::network::routes())
        .merge(crate::cases::routes())
        .merge(crate::hotline::routes())
        .merge(crate::outreach::routes())
        .merge(crate::referrals::routes())
        .merge(crate::reports::routes())
        .merge(crate::projects::routes())
        .merge(crate::stats::routes())
        .merge(crate::news::routes())
        .merge(crate::exchange::routes())
        .merge(crate::reminders::routes())
}

/// Every operation of the API (the OpenAPI document and the access matrix walk these).
pub fn api_routes() -> ApiRoutes {
    ApiRoutes::new()
        .merge(crate::network::api::routes())
        .merge(crate::hotline::api::routes())
        .merge(crate::reports::api::routes())
        .merge(crate::outreach::api::routes())
        .merge(crate::cases::api::routes())
        .merge(crate::projects::api::routes())
        .merge(crate::referrals::api::routes())
        .merge(crate::stats::api::routes())
        .merge(crate::exchange::api::routes())
}

/// The OpenAPI document of every operation, as `satis export openapi` prints it.
pub fn openapi() -> String {
    crate::platform::api::openapi::pretty(api_routes().specs())
}

/// Every encrypted column of every area, for key rotation and the schema test.
pub fn encrypted_columns() -> Vec<EncryptedColumn> {
    [
        crate::identity::store::SEALED,
        crate::identity::break_glass::SEALED,
        crate::network::store::SEALED,
        crate::hotline::store::SEALED,
        crate::reports::store::SEALED,
        crate::outreach::store::SEALED,
        crate::cases::store::SEALED,
        crate::projects::store::SEALED,
        crate::referrals::store::SEALED,
        crate::platform::throttle::SEALED,
        crate::platform::mail::SEALED,
        crate::platform::webhooks::SEALED,
        crate::news::newsletter::SEALED,
        crate::reminders::store::SEALED,
    ]
    .concat()
}

/// Text older versions kept in clear, sealed once at start-up.
pub fn legacy_plain() -> Vec<LegacyPlain> {
    [
        crate::cases::store::SEALED_FROM_PLAIN,
        crate::projects::store::SEALED_FROM_PLAIN,
        crate::referrals::store::SEALED_FROM_PLAIN,
    ]
    .concat()
}

/// The whole application: pages behind the session layer (cookies, CSRF), the API under
/// `/api/v1` behind the bearer-token layer and without cookies, then the platform's outer
/// layers (request context, load shedding, body limits, panic catcher).
pub fn router(state: SharedState) -> Router {
    let (pages, _) = page_routes().into_parts();
    let pages = web::with_fallback(pages)
        .layer(middleware::from_fn_with_state(state.clone(), due_count))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::identity::session::resolve,
        ));
    let api = crate::platform::api::router(api_routes()).layer(middleware::from_fn_with_state(
        state.clone(),
        crate::identity::tokens::authenticate_api,
    ));
    web::finish(state, pages, api)
}

/// How long the count beside "Da fare" may be old: what colleagues record shows within a
/// minute; what a person records or does on their list, on their next page.
const DUE_COUNT_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Puts how many items are due for the signed-in person into a page request (for the
/// navigation), from a per-person count at most [`DUE_COUNT_AGE`] old. A count that cannot be
/// made is left out, never an error.
async fn due_count(
    axum::extract::State(state): axum::extract::State<SharedState>,
    mut req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let actor = req
        .extensions()
        .get::<crate::identity::session::StaffView>()
        .filter(|s| s.full)
        .map(|s| s.actor.clone());
    if let Some(actor) = &actor
        && req.method() != axum::http::Method::GET
    {
        // What a person records may put something on their own list (a permit about to
        // expire): their next page counts afresh.
        let response = next.run(req).await;
        state.due_counts.forget(i64::from(actor.user_id));
        return response;
    }
    if let Some(actor) = actor {
        let key = i64::from(actor.user_id);
        let count = match state.due_counts.get(key, DUE_COUNT_AGE) {
            Some(n) => Some(n),
            None => match crate::reminders::due_for(&state, &actor).await {
                Ok(items) => {
                    state.due_counts.put(key, items.len());
                    Some(items.len())
                }
                Err(_) => None,
            },
        };
        if let Some(n) = count {
            req.extensions_mut().insert(web::DueCount(n));
        }
    }
    next.run(req).await
}

/// The metrics listener's own router: `GET /metrics` only, for a separate, internal address
/// (`metrics_listen`), never on the public one.
pub fn metrics_router(state: SharedState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics))
        .with_state(state)
}

/// What this instance counted, and what is measured now: requests in flight, queues, the
/// newest good backup's age, the audit chain's length. Counts only: nothing personal.
async fn metrics(
    axum::extract::State(state): axum::extract::State<SharedState>,
) -> axum::response::Response {
    use crate::platform::metrics::Gauge;
    use axum::response::IntoResponse;
    let measured = async {
        let backup_age = crate::platform::audit::last_success(&state.db, "backup.create")
            .await?
            .map_or(-1.0, |t| {
                (chrono::Utc::now() - t).num_milliseconds() as f64 / 1000.0
            });
        let (open, idle, max) = crate::platform::db::pool_use(&state.db).unwrap_or((0, 0, 0));
        let (mail_pending, mail_failed) = crate::platform::mail::queue_lengths(&state.db).await?;
        let (hooks_pending, hooks_failed) =
            crate::platform::webhooks::queue_lengths(&state.db).await?;
        Ok::<_, sea_orm::DbErr>(vec![
            Gauge {
                name: "satis_db_pool_connections",
                help: "Database connections open in the pool.",
                value: f64::from(open),
            },
            Gauge {
                name: "satis_db_pool_in_use",
                help: "Database connections in use now (open minus idle).",
                value: (open as usize).saturating_sub(idle) as f64,
            },
            Gauge {
                name: "satis_db_pool_max",
                help: "The most database connections the pool may open.",
                value: f64::from(max),
            },
            Gauge {
                name: "satis_public_reports_untriaged",
                help: "Public reports waiting to be triaged.",
                value: crate::reports::untriaged_count(&state.db).await? as f64,
            },
            Gauge {
                name: "satis_emergencies_open",
                help: "Emergency receptions not yet handed over.",
                value: crate::hotline::open_emergencies_count(&state.db).await? as f64,
            },
            Gauge {
                name: "satis_mail_outbox_pending",
                help: "Notification e-mails waiting to be sent (or to be retried).",
                value: mail_pending as f64,
            },
            Gauge {
                name: "satis_mail_outbox_failed",
                help: "Notification e-mails given up after every retry (see the logs' reasons).",
                value: mail_failed as f64,
            },
            Gauge {
                name: "satis_webhooks_pending",
                help: "Webhook deliveries waiting to be sent (or to be retried).",
                value: hooks_pending as f64,
            },
            Gauge {
                name: "satis_webhooks_failed",
                help: "Webhook deliveries given up after every retry (replayable by the organisation's administrator).",
                value: hooks_failed as f64,
            },
            Gauge {
                name: "satis_audit_chain_length",
                help: "Entries in the audit chain.",
                value: crate::platform::audit::chain_length(&state.db).await? as f64,
            },
            Gauge {
                name: "satis_backup_newest_age_seconds",
                help: "Seconds since the newest good backup (-1: none recorded).",
                value: backup_age,
            },
            Gauge {
                name: "satis_http_in_flight",
                help: "Requests being served now.",
                value: state
                    .config
                    .max_in_flight
                    .saturating_sub(state.in_flight.available_permits())
                    as f64,
            },
            Gauge {
                name: "satis_database_up",
                help: "1 when the database answers.",
                value: 1.0,
            },
        ])
    };
    let gauges = match measured.await {
        Ok(g) => g,
        Err(e) => {
            tracing::warn!(
                reason = crate::platform::db::describe(&e),
                "metrics: database unreachable"
            );
            vec![Gauge {
                name: "satis_database_up",
                help: "1 when the database answers.",
                value: 0.0,
            }]
        }
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&gauges),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_checked_in_document_is_the_generated_one() {
        let kept: Value = serde_json::from_str(include_str!("../docs/api/openapi.json")).unwrap();
        let now: Value = serde_json::from_str(&openapi()).unwrap();
        assert!(
            kept == now,
            "docs/api/openapi.json is stale; regenerate with: \
             cargo run -- export openapi > docs/api/openapi.json"
        );
    }

    /// A created record links to what can be done with it next, by its id (and a linked
    /// operation exists in the document).
    #[test]
    fn creates_link_to_the_operations_on_what_they_created() {
        let doc = crate::platform::api::openapi::document(api_routes().specs());
        let created = &doc["paths"]["/api/v1/cases"]["post"]["responses"]["201"];
        let links = created["links"].as_object().expect("openCase has links");
        for next in ["getCase", "recordConsent", "addCaseEvent", "placeInShelter"] {
            assert_eq!(
                links[next]["parameters"]["id"], "$response.body#/id",
                "{next}"
            );
        }
        let ids: std::collections::BTreeSet<String> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|p| p.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap().to_owned())
            .collect();
        let mut linked = 0;
        for ops in doc["paths"].as_object().unwrap().values() {
            for op in ops.as_object().unwrap().values() {
                if let Some(links) = op["responses"]["201"]["links"].as_object() {
                    for l in links.values() {
                        assert!(ids.contains(l["operationId"].as_str().unwrap()));
                        linked += 1;
                    }
                }
            }
        }
        assert!(linked >= 10, "{linked} links");
    }

    #[test]
    fn every_operation_is_in_the_document_once() {
        let routes = api_routes();
        let doc = crate::platform::api::openapi::document(routes.specs());
        let mut seen = std::collections::BTreeSet::new();
        for spec in routes.specs() {
            let method = spec.method.as_str().to_ascii_lowercase();
            let op = &doc["paths"][spec.full_path()][&method];
            assert_eq!(op["operationId"], spec.operation_id, "{}", spec.full_path());
            assert_eq!(op["x-scope"], spec.scope);
            assert!(
                crate::identity::tokens::SCOPES.contains(&spec.scope),
                "{} needs a known scope",
                spec.operation_id
            );
            assert!(
                seen.insert(spec.operation_id),
                "duplicate {}",
                spec.operation_id
            );
        }
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|p| p.as_object().unwrap().len())
            .sum();
        assert_eq!(documented, routes.specs().len());
    }

    /// An area's words for another area's insides: a module reaching into these instead of
    /// what the area publishes (its `ops`, its rules and the functions its `mod.rs` names).
    const INSIDES: &[&str] = &["pages", "api", "store", "entities"];
    const AREAS: &[&str] = &[
        "cases",
        "hotline",
        "network",
        "outreach",
        "projects",
        "referrals",
        "reports",
        "stats",
        "exchange",
        "identity",
        "home",
        "reminders",
        "news",
    ];

    /// Cross-area reaches that existed when this test was written (issue 20), each to be
    /// replaced by a published operation or query. The list may only shrink: a new reach fails
    /// the test, and so does an entry that no longer occurs (delete it).
    const KNOWN_REACHES: &[&str] = &[];

    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The (area, module) pairs a source text names as `crate::area::module`, comments left out.
    fn reaches(text: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or_default();
            for (at, _) in code.match_indices("crate::") {
                let rest = &code[at + "crate::".len()..];
                let mut parts = rest.splitn(3, "::");
                let area: String = parts
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let module: String = parts
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '{')
                    .collect();
                found.push((area, module));
            }
        }
        found
    }

    #[test]
    fn platform_imports_no_area() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/platform");
        let mut files = Vec::new();
        sources(&root, &mut files);
        assert!(files.len() > 20, "the platform's sources were read");
        let mut wrong = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (area, _) in reaches(&text) {
                if AREAS.contains(&area.as_str()) || area == "app" {
                    wrong.push(format!("{} -> {area}", f.display()));
                }
            }
        }
        assert!(wrong.is_empty(), "platform reaches into areas: {wrong:?}");
    }

    #[test]
    fn areas_reach_each_other_only_through_what_they_publish() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut found = std::collections::BTreeSet::new();
        for area in AREAS {
            let mut files = Vec::new();
            sources(&root.join("src").join(area), &mut files);
            for f in files {
                let text = std::fs::read_to_string(&f).unwrap();
                let name = f.strip_prefix(root).unwrap().display().to_string();
                for (other, module) in reaches(&text) {
                    if other == *area || !AREAS.contains(&other.as_str()) {
                        continue;
                    }
                    assert!(
                        !module.starts_with('{'),
                        "{name}: name another area's modules one by one, not in braces"
                    );
                    if INSIDES.contains(&module.as_str()) {
                        found.insert(format!("{name} -> {other}::{module}"));
                    }
                }
            }
        }
        let new: Vec<&String> = found
            .iter()
            .filter(|r| !KNOWN_REACHES.contains(&r.as_str()))
            .collect();
        assert!(
            new.is_empty(),
            "new reaches into another area's insides (call its ops or a published query): {new:?}"
        );
        let gone: Vec<&&str> = KNOWN_REACHES
            .iter()
            .filter(|r| !found.contains(**r))
            .collect();
        assert!(
            gone.is_empty(),
            "these reaches are gone: delete them from KNOWN_REACHES: {gone:?}"
        );
    }

    /// Pages and API handlers parse input and show results: writing rows and audit entries
    /// belongs to the areas' operations, in the transaction of what they record.
    #[test]
    fn pages_and_api_handlers_neither_build_rows_nor_write_audit_entries() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let handler = |name: &str| {
            name.ends_with("/pages.rs")
                || name.contains("/pages/")
                || name.ends_with("/api.rs")
                || ["staff.rs", "public.rs", "audit_page.rs", "desk.rs"]
                    .iter()
                    .any(|f| name.ends_with(&format!("/{f}")))
        };
        let writes = [
            "audit::append(",
            "ActiveModel {",
            "ActiveValue::Set",
            ".insert(&",
            ".exec(&",
            "execute_unprepared(",
        ];
        let mut wrong = Vec::new();
        for area in AREAS.iter().chain(["identity"].iter()) {
            let mut files = Vec::new();
            sources(&root.join("src").join(area), &mut files);
            for f in files {
                let name = f.strip_prefix(root).unwrap().display().to_string();
                if !handler(&name) {
                    continue;
                }
                let text = std::fs::read_to_string(&f).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for w in writes {
                    if code.contains(w) {
                        wrong.push(format!("{name}: {w}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "handlers that write: {wrong:?}");
    }
}
