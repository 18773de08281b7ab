//! The activity report page (aggregates only) and its CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::{ActivityReport, shown};
use crate::platform::audit::{self, Entry};
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// The period asked for, or by default the last full semester.
pub fn period(from: &str, to: &str) -> (NaiveDate, NaiveDate) {
    let today = Utc::now().date_naive();
    let (dfrom, dto) = if today.month() > 6 {
        (
            NaiveDate::from_ymd_opt(today.year(), 1, 1),
            NaiveDate::from_ymd_opt(today.year(), 6, 30),
        )
    } else {
        (
            NaiveDate::from_ymd_opt(today.year() - 1, 7, 1),
            NaiveDate::from_ymd_opt(today.year() - 1, 12, 31),
        )
    };
    let from = NaiveDate::parse_from_str(from, "%Y-%m-%d")
        .ok()
        .or(dfrom)
        .unwrap_or(today - Duration::days(182));
    let to = NaiveDate::parse_from_str(to, "%Y-%m-%d")
        .ok()
        .or(dto)
        .unwrap_or(today);
    (from, to.max(from))
}

#[derive(Template, WebTemplate)]
#[template(path = "stats/templates/activity.html")]
pub struct ActivityPage {
    pub shell: Shell,
    pub r: ActivityReport,
}

impl ActivityPage {
    pub fn shown(&self, n: &i64) -> String {
        shown(*n)
    }
    pub fn total(&self, v: &Option<i64>) -> String {
        v.map_or_else(|| self.shell.t("stats-not-recorded"), shown)
    }
}

pub async fn activity(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<ActivityPage, AppError> {
    let (from, to) = period(&q.from, &q.to);
    if let Some(me) = &shell.staff {
        audit::append(
            &state.db,
            Entry::new(Some(&me.actor), "stats.activity", "report")
                .reason(format!("{from} – {to}")),
        )
        .await?;
    }
    Ok(ActivityPage {
        r: super::activity(&state.db, from, to).await?,
        shell,
    })
}

pub async fn activity_csv(
    State(state): State<SharedState>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (from, to) = period(&q.from, &q.to);
    let r = super::activity(&state.db, from, to).await?;
    Ok(crate::platform::web::download(
        super::to_csv(&r),
        "text/csv; charset=utf-8",
        "satis-activity.csv",
    ))
}
