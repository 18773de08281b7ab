//! The auditor's page: who saw or changed whose data, filterable, exportable as CSV.
//! Reading the audit trail is itself audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::platform::audit::{self, Entry, Filter, event};
use crate::platform::web::{AppError, SharedState, Shell};

const PAGE_LIMIT: u64 = 500;
const CSV_LIMIT: u64 = 100_000;

#[derive(Deserialize, Default, Clone)]
pub struct FilterQuery {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.chars().take(100).collect())
}

/// A typed day of the search, if any; one that is not a date is refused, never ignored.
fn day(s: &str) -> Result<Option<NaiveDate>, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| "network-error-date")
}

impl FilterQuery {
    /// The search as asked: Italian days, "to" included (up to 00:00 in Rome the day after,
    /// whatever the day's length when the clocks change); a wrong day, or an end before the
    /// start, is the message key of the refusal.
    fn filter(&self) -> Result<Filter, &'static str> {
        let (from, to) = (day(&self.from)?, day(&self.to)?);
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err("outreach-error-period");
        }
        Ok(Filter {
            subject: non_empty(&self.subject),
            actor: non_empty(&self.actor).map(|a| a.to_lowercase()),
            action: non_empty(&self.action),
            from: from.map(crate::platform::time::rome_midnight),
            to: to.map(|t| crate::platform::time::rome_midnight(t.succ_opt().unwrap_or(t))),
            ..Default::default()
        })
    }

    fn query_string(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("subject", &self.subject)
            .append_pair("actor", &self.actor)
            .append_pair("action", &self.action)
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .finish()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "identity/templates/audit.html")]
pub struct AuditPage {
    pub shell: Shell,
    pub q: FilterQuery,
    pub csv_href: String,
    pub entries: Vec<event::Model>,
    pub limit: u64,
}

async fn log_read(
    state: &SharedState,
    shell: &Shell,
    what: &str,
    q: &FilterQuery,
) -> Result<(), AppError> {
    let staff = shell.staff.as_ref().ok_or(AppError::Unauthorized)?;
    audit::append(
        &state.db,
        &state.keys,
        Entry::new(Some(&staff.actor), what, "audit").reason(q.query_string()),
    )
    .await?;
    Ok(())
}

pub async fn page(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<FilterQuery>,
) -> Result<AuditPage, AppError> {
    let filter = q.filter().map_err(AppError::BadRequest)?;
    log_read(&state, &shell, "audit.read", &q).await?;
    let entries = audit::search(&state.db, &filter, PAGE_LIMIT).await?;
    Ok(AuditPage {
        csv_href: format!("/audit.csv?{}", q.query_string()),
        shell,
        q,
        entries,
        limit: PAGE_LIMIT,
    })
}

/// One CSV field, quoted; a leading formula character is neutralised for spreadsheets.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub fn to_csv(entries: &[event::Model]) -> String {
    let mut out = String::from(
        "seq,at,actor_username,actor_user_id,actor_organisation_id,action,record_kind,record_id,subject,reason,outcome,hash\n",
    );
    for e in entries {
        let fields = [
            e.seq.to_string(),
            e.at.to_rfc3339(),
            e.actor_username.clone().unwrap_or_default(),
            e.actor_user_id.map(|v| v.to_string()).unwrap_or_default(),
            e.actor_organisation_id
                .map(|v| v.to_string())
                .unwrap_or_default(),
            e.action.clone(),
            e.record_kind.clone(),
            e.record_id.clone().unwrap_or_default(),
            e.subject.clone().unwrap_or_default(),
            e.reason.clone().unwrap_or_default(),
            e.outcome.clone(),
            e.hash.clone(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    out
}

pub async fn csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<FilterQuery>,
) -> Result<Response, AppError> {
    let filter = q.filter().map_err(AppError::BadRequest)?;
    log_read(&state, &shell, "audit.export", &q).await?;
    let entries = audit::search(&state.db, &filter, CSV_LIMIT).await?;
    Ok(crate::platform::web::download(
        to_csv(&entries),
        "text/csv; charset=utf-8",
        "satis-audit.csv",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_field("plain"), "\"plain\"");
    }
}
