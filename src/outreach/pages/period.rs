//! The outreach report on any period (page and CSV), and the offline service worker.

use super::*;

#[derive(Deserialize, Default)]
pub struct ReportQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    province: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "outreach/templates/report.html")]
pub struct ReportPage {
    pub shell: Shell,
    pub error: Option<String>,
    pub report: OutreachReport,
    pub units: Vec<crate::network::Service>,
    pub unit: Option<i32>,
    pub province: String,
    /// (dimension, [(label, count)])
    pub tables: Vec<(&'static str, Vec<(String, i64)>)>,
    pub query: String,
}

/// Reads the period and scope: an unknown unit or province, or a period ending before it
/// starts, is an error (the key).
pub(super) async fn report_request(
    state: &SharedState,
    q: &ReportQuery,
) -> Result<(NaiveDate, NaiveDate, Scope), &'static str> {
    let t = today();
    let (from, to) =
        crate::platform::web::form::period(&q.from, &q.to, t - Duration::days(180), t)?;
    let province = crate::network::rules::province(&q.province)?;
    let unit = if q.unit.trim().is_empty() {
        None
    } else {
        let id: i32 = q.unit.trim().parse().map_err(|_| "outreach-error-unit")?;
        let known = crate::network::service(&state.db, id)
            .await
            .map_err(|_| "error-500")?
            .is_some_and(|s| matches!(s.kind.as_str(), "street_unit" | "drop_in"));
        if !known {
            return Err("outreach-error-unit");
        }
        Some(id)
    };
    Ok((from, to, Scope { unit, province }))
}

pub(super) fn label_for(shell: &Shell, dim: &str, value: &str) -> String {
    match dim {
        "gender" => shell.label("gender", value),
        "age_band" => shell.label("age", value),
        "material" => material_label(shell, value),
        "topic" | "interview_topic" => shell.label("topic", value),
        "interview_outcome" => shell.label("interview-outcome", value),
        "accompaniment_service" => shell.label("accompaniment-service", value),
        "accompaniment_outcome" => shell.label("accompaniment-outcome", value),
        "accompaniment_source" => shell.label("accompaniment-source", value),
        _ => value.to_owned(),
    }
}

pub async fn report(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let units: Vec<crate::network::Service> = crate::network::services(&state.db)
        .await?
        .into_iter()
        .filter(|s| matches!(s.kind.as_str(), "street_unit" | "drop_in"))
        .collect();
    let (status, error, from, to, scope) = match report_request(&state, &q).await {
        Ok((from, to, scope)) => (StatusCode::OK, None, from, to, scope),
        Err(key) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(shell.t(key)),
            today() - Duration::days(180),
            today(),
            Scope::default(),
        ),
    };
    let r = report::load(&state.db, from, to, &scope).await?;
    let tables = report::DIMENSIONS
        .iter()
        .map(|d| {
            (
                *d,
                r.breakdown
                    .iter()
                    .filter(|((dim, _), _)| dim == d)
                    .map(|((_, v), n)| (label_for(&shell, d, v), *n))
                    .collect(),
            )
        })
        .collect();
    let query = format!(
        "from={}&to={}&unit={}&province={}",
        r.from,
        r.to,
        scope.unit.map(|u| u.to_string()).unwrap_or_default(),
        scope.province.clone().unwrap_or_default()
    );
    Ok((
        status,
        ReportPage {
            shell,
            error,
            report: r,
            units,
            unit: scope.unit,
            province: scope.province.unwrap_or_default(),
            tables,
            query,
        },
    )
        .into_response())
}

/// The report as CSV (codes, not labels, so that it can be re-used).
/// The outreach report as a spreadsheet user reads it: headers, figures, dimensions and values
/// in the page's language, the code beside each value, the period on every row.
pub fn to_csv(r: &OutreachReport, shell: &Shell) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |_| AppError::Internal("writing the CSV");
    w.write_record([
        shell.t("stats-csv-from"),
        shell.t("stats-csv-to"),
        shell.t("stats-csv-figure"),
        shell.t("stats-csv-dimension"),
        shell.t("stats-csv-value"),
        shell.t("stats-csv-code"),
        shell.t("stats-csv-count"),
    ])
    .map_err(fail)?;
    let (from, to) = (r.from.to_string(), r.to.to_string());
    let total = shell.t("stats-csv-total");
    for (key, v) in [
        ("outreach-fig-outings", r.outings),
        ("outreach-fig-people-met", r.people_met),
        ("outreach-fig-new", r.new_people),
        ("outreach-fig-known", r.known_people),
        ("outreach-fig-individual", r.individual_contacts),
        ("outreach-fig-new-individual", r.new_individual_contacts),
        ("outreach-fig-referrals", r.referrals_proposed),
        (
            "outreach-fig-accompaniments-proposed",
            r.accompaniments_proposed,
        ),
        ("outreach-fig-interviews", r.interviews),
        ("outreach-fig-accompaniments", r.accompaniments),
    ] {
        w.write_record([
            from.as_str(),
            to.as_str(),
            &shell.t(key),
            &total,
            "",
            "",
            &v.to_string(),
        ])
        .map_err(fail)?;
    }
    let breakdown = shell.t("outreach-csv-breakdown");
    for ((d, v), n) in &r.breakdown {
        w.write_record([
            from.as_str(),
            to.as_str(),
            &breakdown,
            &shell.label("outreach-dim", d),
            &label_for(shell, d, v),
            v.as_str(),
            &n.to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|_| AppError::Internal("writing the CSV"))?;
    String::from_utf8(bytes).map_err(|_| AppError::Internal("writing the CSV"))
}

pub async fn report_csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let (from, to, scope) = match report_request(&state, &q).await {
        Ok(v) => v,
        Err(key) => {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, shell.t(key)).into_response());
        }
    };
    let r = report::load(&state.db, from, to, &scope).await?;
    Ok(crate::platform::web::download(
        to_csv(&r, &shell)?,
        "text/csv; charset=utf-8",
        "satis-outreach.csv",
    ))
}

// ---------- offline ----------

/// `GET /outreach/sw.js`: the service worker that keeps the outing form available offline.
/// Served from `/outreach/` so that its scope is the outreach pages only.
pub async fn service_worker() -> Response {
    let mut r = include_str!("../../../static/outreach-sw.js").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}
