//! The home page: for the public, what SATIS is and the hotline numbers; for signed-in staff,
//! their desk: the links their roles open and, per role, a small dashboard drawn by the server
//! (an SVG chart with its data table): the hotline's last two weeks, the street unit's last
//! outings, the organisation's cases by phase, the projects by state, the region's figures.

pub mod legal;

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};

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
    error: Option<String>,
    filter: Filter,
    /// For administrators: the state of the backups.
    backups: Option<BackupState>,
    /// What is due for this person (the deadline engine), most overdue first.
    due: Vec<DueRow>,
}

/// One due item as the desk shows it.
pub struct DueRow {
    pub what: String,
    pub href: String,
    pub record: String,
    pub when: String,
    pub late: bool,
}

fn due_row(shell: &Shell, item: crate::reminders::Item) -> DueRow {
    let d = item.due;
    let when = crate::reminders::when(shell, &d);
    DueRow {
        what: shell.t(&format!("reminder-{}", d.kind.code())),
        href: item.href,
        record: item.record,
        when,
        late: d.late_days > 0,
    }
}

/// What an administrator's desk says about backups: the newest good one, a failure since,
/// and what is scheduled.
pub struct BackupState {
    pub newest: Option<String>,
    /// When the last scheduled backup failed (after the newest good one), and why.
    pub failed: Option<(String, String)>,
    /// The schedule (Italian time, how many kept, where), if the server takes them itself.
    pub schedule: Option<(String, usize, String)>,
    /// No good backup in the last two days.
    pub stale: bool,
}

async fn backup_state(state: &SharedState) -> Result<BackupState, AppError> {
    let newest = crate::platform::audit::last_success(&state.db, "backup.create").await?;
    let failed = crate::platform::audit::latest(&state.db, "backup.failed")
        .await?
        .filter(|(at, _)| newest.is_none_or(|n| *at > n))
        .map(|(at, reason)| {
            (
                crate::platform::time::rome_time_zoned(&at),
                reason.unwrap_or_default(),
            )
        });
    let b = &state.config.backup;
    Ok(BackupState {
        stale: newest.is_none_or(|n| Utc::now() - n > Duration::days(2)),
        newest: newest.map(|n| crate::platform::time::rome_time_zoned(&n)),
        failed,
        schedule: b.at.map(|(h, m)| {
            (
                format!("{h:02}:{m:02}"),
                b.keep,
                b.dir.display().to_string(),
            )
        }),
    })
}

/// The desk's period and province. Without a filter: the hotline's last 14 days, the last
/// outings, every case and project, the region's last semester.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub province: Option<String>,
}

impl Dashboard {
    fn first_day(&self) -> String {
        self.filter
            .period
            .map(|(f, _)| f.to_string())
            .unwrap_or_default()
    }
    fn last_day(&self) -> String {
        self.filter
            .period
            .map(|(_, t)| t.to_string())
            .unwrap_or_default()
    }
    fn province_is(&self, p: &str) -> bool {
        self.filter.province.as_deref() == Some(p)
    }
}

pub fn routes() -> Routes {
    Routes::new()
        .get("/", Access::Public, home)
        .get("/privacy", Access::Public, legal::privacy)
        .get("/note-legali", Access::Public, legal::legal_notes)
        .get("/accessibilita", Access::Public, legal::accessibility)
}

async fn panels(
    state: &SharedState,
    shell: &Shell,
    filter: &Filter,
) -> Result<Vec<Panel>, AppError> {
    let mut out = Vec::new();
    let bounds = filter
        .period
        .map(|(f, t)| crate::platform::time::rome_days(f, t));
    let in_period = |t: &chrono::DateTime<Utc>| bounds.is_none_or(|(s, e)| *t >= s && *t < e);
    let Some(staff) = &shell.staff else {
        return Ok(out);
    };
    let actor = &staff.actor;
    let org = actor.organisation_id;
    let now = Utc::now();
    if let (true, Some(org)) = (actor.can(Permission::Hotline), org) {
        // Per day over the period (at most the last 62 days of it are drawn).
        let (first, last) = match filter.period {
            Some((f, t)) => (f.max(t - Duration::days(61)), t),
            None => {
                let today = crate::platform::time::rome_date(now);
                (today - Duration::days(13), today)
            }
        };
        let days = (last - first).num_days() + 1;
        // Italian days: a call at 00:30 in Rome belongs to that day, not to the UTC one before.
        let (start, end) = crate::platform::time::rome_days(first, last);
        let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for c in crate::hotline::contacts_in_period(&state.db, org, start, end).await? {
            let wanted = filter
                .province
                .as_deref()
                .is_none_or(|p| c.province.as_deref() == Some(p));
            if wanted {
                *per_day
                    .entry(crate::platform::time::rome_date(c.started_at))
                    .or_insert(0) += 1;
            }
        }
        let rows: Vec<(String, i64)> = (0..days)
            .map(|i| {
                let day = first + Duration::days(i);
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
        let mut rows: Vec<(String, i64)> = crate::outreach::recent_outings(&state.db, org, 500)
            .await?
            .into_iter()
            .filter(|o| in_period(&o.started_at))
            .take(8)
            .map(|o| {
                (
                    crate::platform::time::rome_time(&o.started_at),
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
        for c in crate::cases::cases_for_org(&state.db, org).await? {
            if !in_period(&c.opened_at) {
                continue;
            }
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
        for p in crate::projects::all_projects(&state.db).await? {
            if !in_period(&p.created_at) {
                continue;
            }
            *by_status.entry(p.status).or_insert(0) += 1;
        }
        let rows = by_status
            .into_iter()
            .map(|(s, n)| (shell.label("project-status", &s), n))
            .collect();
        // The lead entity's own queue: operational counts, never small-cell suppressed
        // (suppression is for published aggregates).
        out.push(panel(
            "panel-projects",
            shell.t("dashboard-projects"),
            rows,
            false,
        ));
    }
    if actor.can(Permission::ReadAggregates) {
        let (from, to) = filter
            .period
            .unwrap_or_else(|| crate::stats::period::period("", ""));
        let r = crate::stats::activity(&state.db, from, to, filter.province.as_deref()).await?;
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

async fn home(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<crate::stats::period::PeriodQuery>,
) -> Result<Response, AppError> {
    if shell.staff.as_ref().is_some_and(|s| s.full) {
        let given = !q.from.trim().is_empty() || !q.to.trim().is_empty();
        let (status, error, filter) = match crate::stats::period::request(&q) {
            Ok((from, to, province)) => (
                StatusCode::OK,
                None,
                Filter {
                    period: given.then_some((from, to)),
                    province,
                },
            ),
            Err(k) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(shell.t(k)),
                Filter::default(),
            ),
        };
        let panels = panels(&state, &shell, &filter).await?;
        let due = match shell.staff.as_ref() {
            Some(s) => crate::reminders::due_for(&state, &s.actor)
                .await?
                .into_iter()
                .map(|i| due_row(&shell, i))
                .collect(),
            None => Vec::new(),
        };
        let backups = if shell.can(Permission::ManageUsers) {
            Some(backup_state(&state).await?)
        } else {
            None
        };
        Ok((
            status,
            Dashboard {
                shell,
                panels,
                error,
                filter,
                backups,
                due,
            },
        )
            .into_response())
    } else {
        Ok(HomePage { shell }.into_response())
    }
}
