//! The home page: for the public, what SATIS is and the hotline numbers; for signed-in staff,
//! their desk: the links their roles open and, per role, a small dashboard drawn by the server
//! (an SVG chart with its data table): the hotline's last two weeks, the street unit's last
//! outings, the organisation's cases by phase, the projects by state, the region's figures.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Template, WebTemplate)]
#[template(path = "home/templates/home.html")]
struct HomePage {
    shell: Shell,
}

/// One dashboard panel: a title, its chart and the same figures as a table.
pub struct Panel {
    pub id: String,
    pub title: String,
    pub svg: String,
    pub rows: Vec<(String, String)>,
}

fn panel(id: &str, title: String, rows: Vec<(String, i64)>, small_cells: bool) -> Panel {
    let drawn: Vec<(String, String, i64)> = rows
        .iter()
        .map(|(l, n)| {
            if small_cells && *n > 0 && *n < crate::stats::SMALL_CELL {
                (l.clone(), crate::stats::shown(*n), 0)
            } else {
                (l.clone(), n.to_string(), *n)
            }
        })
        .collect();
    Panel {
        id: id.to_owned(),
        svg: crate::platform::web::chart::bars(id, &title, &drawn),
        rows: drawn.into_iter().map(|(l, s, _)| (l, s)).collect(),
        title,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home/templates/dashboard.html")]
struct Dashboard {
    shell: Shell,
    panels: Vec<Panel>,
}

pub fn routes() -> Routes {
    Routes::new().get("/", Access::Public, home)
}

async fn panels(state: &SharedState, shell: &Shell) -> Result<Vec<Panel>, AppError> {
    let mut out = Vec::new();
    let Some(staff) = &shell.staff else {
        return Ok(out);
    };
    let actor = &staff.actor;
    let org = actor.organisation_id;
    let now = Utc::now();
    if let (true, Some(org)) = (actor.can(Permission::Hotline), org) {
        let since = (now - Duration::days(13)).date_naive();
        let mut per_day: BTreeMap<chrono::NaiveDate, i64> = BTreeMap::new();
        for c in crate::hotline::store::recent(&state.db, org, now - Duration::days(14)).await? {
            *per_day.entry(c.started_at.date_naive()).or_insert(0) += 1;
        }
        let rows: Vec<(String, i64)> = (0..14)
            .map(|i| {
                let day = since + Duration::days(i);
                (
                    day.format("%d/%m").to_string(),
                    per_day.get(&day).copied().unwrap_or(0),
                )
            })
            .collect();
        out.push(panel(
            "panel-hotline",
            shell.t("dashboard-hotline"),
            rows,
            false,
        ));
    }
    if let (true, Some(org)) = (actor.can(Permission::Outreach), org) {
        let mut rows: Vec<(String, i64)> =
            crate::outreach::store::recent_outings(&state.db, org, 8)
                .await?
                .into_iter()
                .map(|o| {
                    (
                        crate::hotline::pages::rome_time(&o.started_at),
                        i64::from(o.people_met),
                    )
                })
                .collect();
        rows.reverse();
        out.push(panel(
            "panel-outreach",
            shell.t("dashboard-outreach"),
            rows,
            false,
        ));
    }
    if let (true, Some(org)) = (actor.can(Permission::WorkOnRecords), org) {
        let mut by_phase: BTreeMap<usize, i64> = BTreeMap::new();
        for c in crate::cases::store::cases_for_org(&state.db, org).await? {
            if let Some(i) = crate::cases::rules::Phase::ALL
                .iter()
                .position(|p| p.code() == c.phase)
            {
                *by_phase.entry(i).or_insert(0) += 1;
            }
        }
        let rows = crate::cases::rules::Phase::ALL
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    shell.label("phase", p.code()),
                    by_phase.get(&i).copied().unwrap_or(0),
                )
            })
            .collect();
        out.push(panel(
            "panel-cases",
            shell.t("dashboard-cases"),
            rows,
            false,
        ));
    }
    if actor.can(Permission::EvaluateProjects) {
        let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
        for p in crate::projects::store::all(&state.db).await? {
            *by_status.entry(p.status).or_insert(0) += 1;
        }
        let rows = by_status
            .into_iter()
            .map(|(s, n)| (shell.label("project-status", &s), n))
            .collect();
        out.push(panel(
            "panel-projects",
            shell.t("dashboard-projects"),
            rows,
            true,
        ));
    }
    if actor.can(Permission::ReadAggregates) {
        let (from, to) = crate::stats::pages::period("", "");
        let r = crate::stats::activity(&state.db, from, to, None).await?;
        let rows = r
            .figures
            .iter()
            .filter_map(|f| f.value.map(|v| (shell.label("figure", f.key), v)))
            .collect();
        out.push(panel(
            "panel-region",
            format!("{} {from} – {to}", shell.t("dashboard-region")),
            rows,
            true,
        ));
    }
    Ok(out)
}

async fn home(State(state): State<SharedState>, shell: Shell) -> Result<Response, AppError> {
    if shell.staff.as_ref().is_some_and(|s| s.full) {
        let panels = panels(&state, &shell).await?;
        Ok(Dashboard { shell, panels }.into_response())
    } else {
        Ok(HomePage { shell }.into_response())
    }
}
