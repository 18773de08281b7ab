//! The analysts' view of the historical records: counts by gender, form of exploitation and
//! citizenship for a span of registration years, small cells hidden.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;

use axum::body::Bytes;
use axum::extract::Path;
use axum::response::Redirect;

use super::figures::{Figures, top};
use super::{htcds, store};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Deserialize, Default)]
pub struct YearsQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One breakdown as shown: translated labels and counts (the largest first for countries).
pub struct Breakdown {
    pub id: &'static str,
    pub title: String,
    pub rows: Vec<(String, i64)>,
    /// Entries past the top ten (citizenship, country), shown on request.
    pub more: Vec<(String, i64)>,
}

/// One form of exploitation: yes, no, not recorded.
pub struct FormRow {
    pub label: String,
    pub counts: [i64; 3],
}

#[derive(Template, WebTemplate)]
#[template(path = "exchange/templates/historical.html")]
pub struct HistoricalPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub from: i32,
    pub to: i32,
    pub total: i64,
    pub breakdowns: Vec<Breakdown>,
    pub forms: Vec<FormRow>,
}

impl HistoricalPage {
    pub fn shown(&self, n: &i64) -> String {
        crate::stats::shown(*n)
    }
}

/// How many citizenships and countries are listed before "all".
const TOP: usize = 10;

fn or_not_recorded(shell: &Shell, v: &str, label: impl Fn(&str) -> String) -> String {
    if v.is_empty() {
        shell.t("answer-not-recorded")
    } else {
        label(v)
    }
}

/// The figures as translated tables (the page and its CSV show the same).
fn breakdowns(shell: &Shell, f: &Figures) -> (Vec<Breakdown>, Vec<FormRow>) {
    let plain = |m: &std::collections::BTreeMap<String, i64>, label: &dyn Fn(&str) -> String| {
        m.iter()
            .map(|(k, n)| (or_not_recorded(shell, k, label), *n))
            .collect::<Vec<_>>()
    };
    let source = |v: &str| match v {
        v if v.eq_ignore_ascii_case("case management") => {
            shell.t("historical-source-case-management")
        }
        v if v.eq_ignore_ascii_case("hotline") => shell.t("historical-source-hotline"),
        v => v.to_owned(),
    };
    let country = |v: &str| match isocountry::CountryCode::for_alpha2(v) {
        Ok(c) => format!("{v} ({})", c.name()),
        Err(_) => v.to_owned(),
    };
    let ranked = |id, key, m: &std::collections::BTreeMap<String, i64>| {
        let (top, _) = top(m, m.len());
        let mut rows: Vec<(String, i64)> = top
            .into_iter()
            .map(|(k, n)| (or_not_recorded(shell, &k, country), n))
            .collect();
        let more = rows.split_off(rows.len().min(TOP));
        Breakdown {
            id,
            title: shell.t(key),
            rows,
            more,
        }
    };
    let list = vec![
        Breakdown {
            id: "year",
            title: shell.t("historical-by-year"),
            rows: f.year.iter().map(|(y, n)| (y.to_string(), *n)).collect(),
            more: Vec::new(),
        },
        Breakdown {
            id: "source",
            title: shell.t("historical-by-source"),
            rows: plain(&f.datasource, &source),
            more: Vec::new(),
        },
        Breakdown {
            id: "gender",
            title: shell.t("historical-by-gender"),
            rows: f
                .gender
                .iter()
                .map(|(k, n)| (shell.label("gender", k), *n))
                .collect(),
            more: Vec::new(),
        },
        Breakdown {
            id: "age",
            title: shell.t("historical-by-age"),
            rows: plain(&f.age_broad, &|v: &str| v.replace("--", "–")),
            more: Vec::new(),
        },
        ranked("citizenship", "historical-by-citizenship", &f.citizenship),
        ranked("country", "historical-by-country", &f.country),
    ];
    let forms = super::ctdc::FORMS
        .iter()
        .map(|(_, form)| FormRow {
            label: shell.label("historical-form", form),
            counts: f.form(form).map(|(_, n)| n),
        })
        .collect();
    (list, forms)
}

fn years(q: &YearsQuery) -> Result<(i32, i32), &'static str> {
    let this = crate::platform::time::rome_today().year();
    let parse = |raw: &str, default: i32| {
        if raw.trim().is_empty() {
            Ok(default)
        } else {
            raw.trim()
                .parse::<i32>()
                .ok()
                .filter(|y| (1990..=this).contains(y))
                .ok_or("import-error-year")
        }
    };
    let (from, to) = (parse(&q.from, 1990)?, parse(&q.to, this)?);
    if to < from {
        return Err("outreach-error-period");
    }
    Ok((from, to))
}

pub async fn historical(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<YearsQuery>,
) -> Result<Response, AppError> {
    let (status, error, (from, to)) = match years(&q) {
        Ok(y) => (StatusCode::OK, None, y),
        Err(k) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(shell.t(k)),
            (1990, crate::platform::time::rome_today().year()),
        ),
    };
    let figures = store::figures(&state.db, from, to).await?;
    let (breakdowns, forms) = breakdowns(&shell, &figures);
    Ok((
        status,
        HistoricalPage {
            shell,
            error,
            from,
            to,
            total: figures.total,
            breakdowns,
            forms,
        },
    )
        .into_response())
}

/// `GET /stats/historical.csv`: the same figures as the page, every citizenship and country
/// included, labels translated, small cells shown as "<5".
pub async fn historical_csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<YearsQuery>,
) -> Result<Response, AppError> {
    let Ok((from, to)) = years(&q) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            shell.t("import-error-year"),
        )
            .into_response());
    };
    let figures = store::figures(&state.db, from, to).await?;
    let (breakdowns, forms) = breakdowns(&shell, &figures);
    let mut w = csv::Writer::from_writer(Vec::new());
    let shown = |n: i64| crate::stats::shown(n);
    let mut rows: Vec<[String; 3]> = vec![[
        shell.t("historical-csv-table"),
        shell.t("historical-csv-value"),
        shell.t("historical-total"),
    ]];
    rows.push([
        shell.t("historical-total"),
        String::new(),
        shown(figures.total),
    ]);
    for b in &breakdowns {
        for (label, n) in b.rows.iter().chain(&b.more) {
            rows.push([b.title.clone(), label.clone(), shown(*n)]);
        }
    }
    let answers = super::figures::Answer::ALL.map(|a| shell.t(a.message_key()));
    let by_form = shell.t("historical-by-form");
    for f in &forms {
        for (answer, n) in answers.iter().zip(f.counts) {
            rows.push([
                by_form.clone(),
                format!("{} — {}", f.label, answer),
                shown(n),
            ]);
        }
    }
    for r in rows {
        w.write_record(&r).map_err(|_| AppError::Internal("csv"))?;
    }
    let body = w.into_inner().map_err(|_| AppError::Internal("csv"))?;
    Ok(crate::platform::web::download(
        body,
        "text/csv; charset=utf-8",
        "satis-historical.csv",
    ))
}

// ---------- a case as an HTCDS document ----------

/// `GET /cases/{id}/htcds.json`: the case as an HTCDS-aligned document (identity included:
/// the access is decided and audited as a reading of identity).
pub async fn export_case(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let document = super::export_case_document(&state, &me.actor, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let body =
        serde_json::to_string_pretty(&document).map_err(|_| AppError::Internal("document"))?;
    Ok(crate::platform::web::download(
        body,
        "application/json",
        "satis-case-htcds.json",
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "exchange/templates/import.html")]
pub struct ImportPage {
    pub shell: Shell,
    /// (field, message) of every wrong field.
    pub errors: Vec<(String, String)>,
    pub document: String,
}

/// The JSON Schema of the case document the import reads (as `satis export htcds-schema`).
pub async fn htcds_schema() -> Response {
    axum::Json(htcds::schema()).into_response()
}

pub async fn import_form(shell: Shell) -> ImportPage {
    ImportPage {
        shell,
        errors: Vec::new(),
        document: String::new(),
    }
}

/// `POST /exchange/import`: a case from an HTCDS-aligned document, into the importer's
/// organisation; every wrong field is listed and nothing is saved until none is wrong.
pub async fn import_case(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let org = me.actor.organisation_id.ok_or(AppError::Forbidden)?;
    let f = Fields::parse(&body);
    let text = f.get("document");
    let parsed: Result<htcds::CaseRecord, Vec<(String, String)>> =
        match serde_json::from_str::<serde_json::Value>(&text) {
            Err(_) => Err(vec![("$".to_owned(), shell.t("htcds-error-json"))]),
            Ok(doc) => htcds::read(&doc, chrono::Utc::now().year()).map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| (e.field, shell.t(e.key)))
                    .collect()
            }),
        };
    let record = match parsed {
        Ok(r) => r,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ImportPage {
                    shell,
                    errors,
                    document: text,
                },
            )
                .into_response());
        }
    };
    let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
    let id = super::import_case(&state, &txn, &me.actor, org, &record).await?;
    txn.commit().await?;
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}
