//! The auditor's page: who saw or changed whose data, filterable, exportable as CSV.
//! Reading the audit trail is itself audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::platform::audit::{Filter, event};
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
    /// Where the page continues: the entries before this sequence number.
    #[serde(default)]
    before: String,
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
    /// Every problem of the search at once, as (field, message key): a day that is not a
    /// date, an end before the start.
    fn problems(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        let (from, to) = (day(&self.from), day(&self.to));
        if let Err(k) = from {
            out.push(("from", k));
        }
        if let Err(k) = to {
            out.push(("to", k));
        }
        if let (Ok(Some(f)), Ok(Some(t))) = (from, to)
            && t < f
        {
            out.push(("to", "outreach-error-period"));
        }
        out
    }

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
            before: match self.before.trim() {
                "" => None,
                b => Some(
                    b.parse::<i64>()
                        .ok()
                        .filter(|seq| *seq > 1)
                        .ok_or("error-400")?,
                ),
            },
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
    /// The link to the older entries, when there are more.
    pub older: Option<String>,
    /// Every problem of the search: (field, translated message).
    pub problems: Vec<(String, String)>,
}

impl AuditPage {
    /// The message for `field`, if the search was refused because of it.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn read(
    state: &SharedState,
    shell: &Shell,
    export: bool,
    q: &FilterQuery,
    limit: u64,
) -> Result<Vec<event::Model>, AppError> {
    let staff = shell.staff.as_ref().ok_or(AppError::Unauthorized)?;
    let filter = q.filter().map_err(AppError::BadRequest)?;
    Ok(super::ops::read_audit_trail(
        &state.db,
        &state.keys,
        &staff.actor,
        export,
        &filter,
        q.query_string(),
        limit,
    )
    .await?)
}

pub async fn page(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<FilterQuery>,
) -> Result<Response, AppError> {
    let problems: Vec<(String, String)> = q
        .problems()
        .into_iter()
        .map(|(field, key)| (field.to_owned(), shell.t(key)))
        .collect();
    if !problems.is_empty() {
        // The search comes back as typed, each problem beside its field; nothing is read.
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            AuditPage {
                csv_href: format!("/audit.csv?{}", q.query_string()),
                shell,
                q,
                entries: Vec::new(),
                limit: PAGE_LIMIT,
                older: None,
                problems,
            },
        )
            .into_response());
    }
    // One more than a page tells whether older entries follow.
    let mut entries = read(&state, &shell, false, &q, PAGE_LIMIT + 1).await?;
    let older = if entries.len() as u64 > PAGE_LIMIT {
        entries.truncate(PAGE_LIMIT as usize);
        entries
            .last()
            .map(|e| format!("/audit?{}&before={}", q.query_string(), e.seq))
    } else {
        None
    };
    Ok(AuditPage {
        csv_href: format!("/audit.csv?{}", q.query_string()),
        shell,
        q,
        entries,
        limit: PAGE_LIMIT,
        older,
        problems,
    }
    .into_response())
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

/// What a recorded action is called, in the reader's language: its own name when it has one,
/// else "Read: case" for the policy's decisions on a record kind, else its code (a code never
/// translated is still shown rather than hidden).
pub fn action_label(lang: crate::platform::i18n::Lang, code: &str) -> String {
    let key = format!("audit-act-{}", code.replace(['.', '_'], "-"));
    let named = lang.t(&key);
    if named != key {
        return named;
    }
    for (suffix, key) in [
        (".identity.read", "audit-act-identity-read"),
        (".read", "audit-act-read"),
        (".write", "audit-act-write"),
    ] {
        if let Some(kind) = code.strip_suffix(suffix) {
            return lang.t_args(key, &[("kind", &kind_label(lang, kind))]);
        }
    }
    code.to_owned()
}

/// What kind of record an entry is about, in the reader's language (its code, spaced, when a
/// kind has no name yet).
pub fn kind_label(lang: crate::platform::i18n::Lang, kind: &str) -> String {
    let k = format!("audit-kind-{}", kind.replace('_', "-"));
    let t = lang.t(&k);
    if t == k { kind.replace('_', " ") } else { t }
}

/// Whether what an entry records was allowed or denied, in the reader's language.
pub fn outcome_label(lang: crate::platform::i18n::Lang, outcome: &str) -> String {
    let k = format!("audit-outcome-{outcome}");
    let t = lang.t(&k);
    if t == k { outcome.to_owned() } else { t }
}

pub fn to_csv(entries: &[event::Model], lang: crate::platform::i18n::Lang) -> String {
    let mut out = String::from(
        "seq,at,actor_username,actor_user_id,actor_organisation_id,action,record_kind,record_id,subject,reason,outcome,hash",
    );
    // The codes are the evidence; the description beside them is for the reader.
    out.push(',');
    out.push_str(&csv_field(&lang.t("audit-csv-action-label")));
    out.push('\n');
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
            action_label(lang, &e.action),
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
    let entries = read(&state, &shell, true, &q, CSV_LIMIT).await?;
    Ok(crate::platform::web::download(
        to_csv(&entries, shell.lang),
        "text/csv; charset=utf-8",
        "satis-audit.csv",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of every Rust source under `src/`: what the naming tests read the audited
    /// actions and record kinds from.
    fn source_texts() -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(p).unwrap());
                }
            }
        }
        let mut texts = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut texts,
        );
        texts
    }

    /// Every action the code records has a name in Italian and in English: the auditor reads
    /// "Secondo fattore azzerato", not `user.mfa_reset`.
    #[test]
    fn every_recorded_action_has_a_name_in_both_languages() {
        use crate::platform::i18n::Lang;
        let texts = source_texts();
        let mut codes = std::collections::BTreeSet::new();
        for text in &texts {
            for (at, _) in text.match_indices("Entry::new(") {
                let rest = &text[at..text.len().min(at + 160)];
                let Some(open) = rest.find('"') else { continue };
                let Some(len) = rest[open + 1..].find('"') else {
                    continue;
                };
                let code = &rest[open + 1..open + 1 + len];
                // An action is dotted (`case.create`) or `logout`; a record kind is not.
                let action = code.contains('.') || code == "logout";
                if action
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                {
                    codes.insert(code.to_owned());
                }
            }
        }
        for status in crate::referrals::rules::Status::ALL {
            codes.insert(format!("referral.{}", status.code()));
        }
        for action in [
            "user.role_granted",
            "user.role_revoked",
            "user.disabled",
            "user.enabled",
            "user.mfa_reset",
            "user.password_reset",
            "case.read",
            "person.identity.read",
            "hotline_contact.write",
        ] {
            codes.insert(action.to_owned());
        }
        assert!(codes.len() > 60, "{} codes found", codes.len());
        for lang in [Lang::It, Lang::En] {
            for code in &codes {
                let label = action_label(lang, code);
                assert_ne!(&label, code, "{code} has no name in {lang:?}");
                assert!(!label.contains('_'), "{code}: {label}");
            }
        }
        assert_eq!(
            action_label(Lang::It, "user.mfa_reset"),
            "Secondo fattore azzerato"
        );
        assert_eq!(action_label(Lang::En, "case.read"), "Read: case");
        assert_eq!(action_label(Lang::It, "something.new"), "something.new");
    }

    /// Every kind of record the code audits, and both outcomes, have a name in Italian and in
    /// English: the audit page says "contatto del Numero Verde · negato", not codes.
    #[test]
    fn every_record_kind_and_outcome_has_a_name_in_both_languages() {
        use crate::platform::i18n::Lang;
        /// The top-level arguments of the call that starts at `text`, as written.
        fn arguments(text: &str) -> Vec<String> {
            let (mut args, mut current, mut depth, mut quoted) =
                (Vec::new(), String::new(), 0, false);
            for c in text.chars() {
                match c {
                    '"' => quoted = !quoted,
                    '(' if !quoted => depth += 1,
                    ')' if !quoted => {
                        if depth == 0 {
                            args.push(current.trim().to_owned());
                            return args;
                        }
                        depth -= 1;
                    }
                    ',' if !quoted && depth == 0 => {
                        args.push(current.trim().to_owned());
                        current.clear();
                        continue;
                    }
                    _ => {}
                }
                current.push(c);
            }
            args
        }
        let texts = source_texts();
        let mut kinds = std::collections::BTreeSet::new();
        for text in &texts {
            for (at, _) in text.match_indices("Entry::new(") {
                let args = arguments(&text[at + "Entry::new(".len()..]);
                if let Some(kind) = args
                    .get(2)
                    .and_then(|k| k.strip_prefix('"')?.strip_suffix('"'))
                {
                    kinds.insert(kind.to_owned());
                }
            }
        }
        assert!(kinds.len() > 20, "{kinds:?}");
        for lang in [Lang::It, Lang::En] {
            for kind in &kinds {
                let key = format!("audit-kind-{}", kind.replace('_', "-"));
                assert_ne!(lang.t(&key), key, "{kind} has no name in {lang:?}");
            }
            for outcome in ["allowed", "denied"] {
                let key = format!("audit-outcome-{outcome}");
                assert_ne!(lang.t(&key), key, "{lang:?}");
            }
        }
        assert_eq!(
            kind_label(Lang::It, "hotline_contact"),
            "contatto del Numero Verde"
        );
        assert_eq!(outcome_label(Lang::It, "denied"), "negato");
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_field("plain"), "\"plain\"");
    }
}
