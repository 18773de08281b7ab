//! The activity report page (aggregates only) and its CSV.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ActivityReport, shown};
use crate::platform::web::{AppError, SharedState, Shell};

pub use super::period::{PeriodQuery, period, request};

#[derive(Template, WebTemplate)]
#[template(path = "stats/templates/activity.html")]
pub struct ActivityPage {
    pub shell: Shell,
    pub r: ActivityReport,
    pub error: Option<String>,
    pub query: String,
}

impl ActivityPage {
    pub fn shown(&self, n: &i64) -> String {
        shown(*n)
    }

    /// A breakdown value as people read it (see [`value_label`]).
    pub fn value_label(&self, dimension: &str, value: &str) -> String {
        value_label(self.shell.lang, dimension, value)
    }
    pub fn total(&self, v: &Option<i64>) -> String {
        v.map_or_else(|| self.shell.t("stats-not-recorded"), shown)
    }
    pub fn province_is(&self, p: &str) -> bool {
        self.r.province.as_deref() == Some(p)
    }

    /// The figure's breakdown by province as an SVG chart (small cells drawn empty), or
    /// nothing when it has none.
    pub fn chart(&self, f: &super::Figure) -> String {
        let rows: Vec<(String, String, i64)> = f
            .breakdown
            .iter()
            .filter(|(d, _, _)| d == "province")
            .map(|(_, v, c)| {
                let drawn = if *c < super::SMALL_CELL { 0 } else { *c };
                (v.clone(), shown(*c), drawn)
            })
            .collect();
        if rows.is_empty() {
            return String::new();
        }
        let title = format!(
            "{} — {}",
            self.shell.label("figure", f.key),
            self.shell.label("dim", "province")
        );
        crate::platform::web::chart::bars(&format!("chart-{}", f.key), &title, &rows)
    }
}

pub async fn activity(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (status, error, (from, to, province)) = match request(&q) {
        Ok(r) => (StatusCode::OK, None, r),
        Err(k) => {
            let (from, to) = period("", "");
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(shell.t(k)),
                (from, to, None),
            )
        }
    };
    let me = shell.staff.clone().ok_or(AppError::Unauthorized)?;
    let r = super::read_activity(&state, &me.actor, (from, to), province.as_deref(), None).await?;
    let query = format!(
        "from={from}&to={to}&province={}",
        province.clone().unwrap_or_default()
    );
    Ok((
        status,
        ActivityPage {
            r,
            shell,
            error,
            query,
        },
    )
        .into_response())
}

async fn report_for_download(
    state: &SharedState,
    shell: &Shell,
    q: &PeriodQuery,
) -> Result<Result<ActivityReport, Response>, AppError> {
    match request(q) {
        Ok((from, to, province)) => Ok(Ok(super::activity(
            &state.db,
            from,
            to,
            province.as_deref(),
        )
        .await?)),
        Err(k) => Ok(Err(
            (StatusCode::UNPROCESSABLE_ENTITY, shell.t(k)).into_response()
        )),
    }
}

/// A breakdown value as people read it: the translated label of its code where there is one
/// (forms, sectors, relevance, services, outcomes, genders, entry), the province's name — or
/// "the Region, not attributed to a province" for work of an organisation without one —, and
/// "not recorded" for an unknown age; nationality codes and age bands as they are.
pub fn value_label(lang: crate::platform::i18n::Lang, dimension: &str, value: &str) -> String {
    let one = |prefix: &str, code: &str| {
        lang.try_t(&format!("{prefix}-{}", code.replace('_', "-")))
            .unwrap_or_else(|| code.to_owned())
    };
    match dimension {
        "exploitation" => one("exploitation", value),
        "sector" => one("sector", value),
        "relevance" => one("relevance", value),
        "service" => one("accompaniment-service", value),
        "outcome" => one("interview-outcome", value),
        "gender" => one("gender", value),
        "entry" => one("entry", value),
        "province" => crate::network::rules::province_name(value)
            .map(str::to_owned)
            .unwrap_or_else(|| lang.t("stats-province-unattributed")),
        "age_band" if value == "—" => lang.t("stats-value-not-recorded"),
        "other_accompaniment" => match value.split_once(':') {
            Some((service, outcome)) => format!(
                "{} — {}",
                one("accompaniment-service", service),
                one("accompaniment-outcome", outcome)
            ),
            None => value.to_owned(),
        },
        _ => value.to_owned(),
    }
}

/// The activity report as a spreadsheet user reads it: headers, figures, dimensions and values
/// in the page's language, the code beside each value, the period on every row (no comment
/// line a spreadsheet would take for data), small cells hidden as on the page.
pub fn labelled_csv(r: &super::ActivityReport, shell: &Shell) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |_| AppError::Internal("writing the CSV");
    w.write_record([
        shell.t("stats-csv-from"),
        shell.t("stats-csv-to"),
        shell.t("stats-csv-province"),
        shell.t("stats-csv-figure"),
        shell.t("stats-csv-dimension"),
        shell.t("stats-csv-value"),
        shell.t("stats-csv-code"),
        shell.t("stats-csv-count"),
    ])
    .map_err(fail)?;
    let (from, to) = (r.from.to_string(), r.to.to_string());
    let province = r.province.as_deref().map_or_else(
        || shell.t("outreach-all-provinces"),
        |p| value_label(shell.lang, "province", p),
    );
    for f in &r.figures {
        let figure = shell.label("figure", f.key);
        let total = f
            .value
            .map_or_else(|| shell.t("stats-not-recorded"), super::shown);
        w.write_record([
            from.as_str(),
            to.as_str(),
            province.as_str(),
            figure.as_str(),
            shell.t("stats-csv-total").as_str(),
            "",
            "",
            total.as_str(),
        ])
        .map_err(fail)?;
        for (d, v, c) in &f.breakdown {
            w.write_record([
                from.as_str(),
                to.as_str(),
                province.as_str(),
                figure.as_str(),
                shell.label("dim", d).as_str(),
                value_label(shell.lang, d, v).as_str(),
                v.as_str(),
                super::shown(*c).as_str(),
            ])
            .map_err(fail)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|_| AppError::Internal("writing the CSV"))?;
    String::from_utf8(bytes).map_err(|_| AppError::Internal("writing the CSV"))
}

pub async fn activity_csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let r = match report_for_download(&state, &shell, &q).await? {
        Ok(r) => r,
        Err(refusal) => return Ok(refusal),
    };
    Ok(crate::platform::web::download(
        labelled_csv(&r, &shell)?,
        "text/csv; charset=utf-8",
        "satis-attivita.csv",
    ))
}

/// `GET /stats/activity.xlsx`: the same figures as the CSV (small cells hidden), as a
/// spreadsheet with the figures' names and definitions in the page's language.
pub async fn activity_xlsx(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let r = match report_for_download(&state, &shell, &q).await? {
        Ok(r) => r,
        Err(refusal) => return Ok(refusal),
    };
    let bytes = workbook(&r, &shell).map_err(|_| AppError::Internal("writing a spreadsheet"))?;
    Ok(crate::platform::web::download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "satis-activity.xlsx",
    ))
}

fn workbook(r: &ActivityReport, shell: &Shell) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let title = format!(
        "{} {} – {}{}",
        shell.t("stats-activity-title"),
        r.from,
        r.to,
        r.province
            .as_deref()
            .map(|p| format!(" ({p})"))
            .unwrap_or_default()
    );
    sheet.write_string_with_format(0, 0, &title, &bold)?;
    sheet.write_string(1, 0, shell.t("stats-activity-intro"))?;
    let mut row = 3u32;
    for f in &r.figures {
        sheet.write_string_with_format(row, 0, shell.label("figure", f.key), &bold)?;
        let total = f.value.map_or_else(|| shell.t("stats-not-recorded"), shown);
        sheet.write_string_with_format(row, 2, &total, &bold)?;
        row += 1;
        sheet.write_string(row, 0, shell.label("figure-def", f.key))?;
        row += 1;
        for (d, v, c) in &f.breakdown {
            sheet.write_string(row, 0, shell.label("dim", d))?;
            sheet.write_string(row, 1, v)?;
            sheet.write_string(row, 2, shown(*c))?;
            row += 1;
        }
        row += 1;
    }
    sheet.set_column_width(0, 48)?;
    sheet.set_column_width(1, 24)?;
    sheet.set_column_width(2, 12)?;
    book.save_to_buffer()
}

// ---------- open data ----------

#[derive(Deserialize, Default)]
pub struct KQuery {
    #[serde(default)]
    k: String,
}

fn k_of(q: &KQuery) -> Result<usize, &'static str> {
    if q.k.trim().is_empty() {
        return Ok(super::open_data::DEFAULT_K);
    }
    q.k.trim()
        .parse::<usize>()
        .ok()
        .filter(|k| (2..=1000).contains(k))
        .ok_or("open-data-error-k")
}

#[derive(Template, WebTemplate)]
#[template(path = "stats/templates/open_data.html")]
pub struct OpenDataPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub k: usize,
    pub report: Option<super::open_data::Anonymisation>,
}

pub async fn open_data(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<KQuery>,
) -> Result<Response, AppError> {
    let k = match k_of(&q) {
        Ok(k) => k,
        Err(key) => {
            let error = Some(shell.t(key));
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                OpenDataPage {
                    shell,
                    error,
                    k: super::open_data::DEFAULT_K,
                    report: None,
                },
            )
                .into_response());
        }
    };
    let (error, report) = match super::open_data::export(&state.db, k).await? {
        Ok((_, _, r)) => (None, Some(r)),
        Err(e) => (Some(shell.t(e.message_key())), None),
    };
    Ok(OpenDataPage {
        shell,
        error,
        k,
        report,
    }
    .into_response())
}

async fn open_data_file(
    state: &SharedState,
    shell: &Shell,
    q: &KQuery,
    micro: bool,
) -> Result<Response, AppError> {
    let k = match k_of(q) {
        Ok(k) => k,
        Err(key) => return Ok((StatusCode::UNPROCESSABLE_ENTITY, shell.t(key)).into_response()),
    };
    let me = shell.staff.as_ref().ok_or(AppError::Unauthorized)?;
    let file = match super::open_data::export_for(state, &me.actor, k, micro).await? {
        Ok(file) => file,
        Err(e) => {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, shell.t(e.message_key())).into_response());
        }
    };
    Ok(if micro {
        crate::platform::web::download(file, "text/csv; charset=utf-8", "satis-ctdc-microdata.csv")
    } else {
        crate::platform::web::download(file, "text/csv; charset=utf-8", "satis-aggregates.csv")
    })
}

pub async fn open_data_microdata(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<KQuery>,
) -> Result<Response, AppError> {
    open_data_file(&state, &shell, &q, true).await
}

pub async fn open_data_aggregates(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<KQuery>,
) -> Result<Response, AppError> {
    open_data_file(&state, &shell, &q, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_values_read_as_words_and_unknown_is_never_a_dash() {
        use crate::platform::i18n::Lang;
        assert_eq!(value_label(Lang::It, "province", "FI"), "Firenze");
        assert_eq!(value_label(Lang::En, "province", "MS"), "Massa-Carrara");
        // An organisation without a province (a national NGO): the Region, said in words.
        assert_eq!(
            value_label(Lang::It, "province", "—"),
            "Regione (non attribuito a una provincia)"
        );
        assert_eq!(value_label(Lang::It, "age_band", "—"), "non registrato");
        assert_eq!(value_label(Lang::En, "gender", "female"), "Woman");
        assert_eq!(value_label(Lang::It, "age_band", "18-24"), "18-24");
    }
}
