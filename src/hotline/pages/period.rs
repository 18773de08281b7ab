//! The hotline's report on any period, as a page and as CSV.

use super::*;

#[derive(Deserialize, Default, Clone)]
pub struct PeriodQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: i64,
    /// (dimension key, [(value label, count)])
    pub tables: Vec<(&'static str, Vec<(String, i64)>)>,
}

/// The period asked for (by default the last 30 Italian days); a day that is not a date is
/// refused with its message, never replaced by the default.
pub(super) fn period(q: &PeriodQuery) -> Result<(NaiveDate, NaiveDate), AppError> {
    let default = crate::platform::time::Period::last_days(crate::platform::time::rome_today(), 31);
    crate::platform::time::Period::parse(&q.from, &q.to, default)
        .map(|p| (p.from, p.to))
        .map_err(|e| AppError::BadRequest(e.key()))
}

/// Counts the contacts of an organisation in a period along every dimension of the report.
pub async fn build_report(
    state: &SharedState,
    shell: &Shell,
    org: i32,
    q: &PeriodQuery,
) -> Result<Report, AppError> {
    let (from, to) = period(q)?;
    // Italian days: 00:00–24:00 in Rome.
    let (start, end) = crate::platform::time::rome_days(from, to);
    let contacts = store::in_period(&state.db, org, start, end).await?;
    let mut dims: Vec<(&'static str, BTreeMap<String, i64>)> = [
        "relevance",
        "first_or_follow_up",
        "caller",
        "reason",
        "outcome",
        "language",
        "province",
        "exploitation",
        "pertinent_by_month",
    ]
    .into_iter()
    .map(|d| (d, BTreeMap::new()))
    .collect();
    let mut add = |dim: &str, value: String| {
        if let Some((_, m)) = dims.iter_mut().find(|(d, _)| *d == dim) {
            *m.entry(value).or_insert(0) += 1;
        }
    };
    for c in &contacts {
        add("relevance", shell.label("relevance", &c.relevance));
        add(
            "first_or_follow_up",
            shell.t(if c.previous_contact_id.is_some() {
                "hotline-follow-up"
            } else {
                "hotline-first"
            }),
        );
        if let Some(k) = &c.caller_kind {
            add("caller", shell.label("caller", k));
        }
        for r in crate::platform::codes::iter(&c.reasons) {
            add("reason", shell.label("reason", r));
        }
        for o in crate::platform::codes::iter(&c.outcomes) {
            add("outcome", shell.label("outcome", o));
        }
        if let Some(l) = &c.language {
            add("language", l.clone());
        }
        if let Some(p) = &c.province {
            add("province", p.clone());
        }
        for x in crate::platform::codes::iter(&c.exploitation_forms) {
            add("exploitation", shell.label("exploitation", x));
        }
        if c.relevance == "pertinent" {
            add(
                "pertinent_by_month",
                crate::platform::time::rome_date(c.started_at)
                    .format("%Y-%m")
                    .to_string(),
            );
        }
    }
    Ok(Report {
        from,
        to,
        total: i64::try_from(contacts.len()).unwrap_or(i64::MAX),
        tables: dims
            .into_iter()
            .map(|(d, m)| (d, m.into_iter().collect()))
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "hotline/templates/report.html")]
pub struct ReportPage {
    pub shell: Shell,
    pub report: Report,
}

pub async fn report(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<ReportPage, AppError> {
    let (_, org) = staff(&shell)?;
    let report = build_report(&state, &shell, org, &q).await?;
    Ok(ReportPage { shell, report })
}

/// The hotline report as a spreadsheet user reads it: headers, dimensions and values in the
/// page's language, the period on every row.
pub fn to_csv(report: &Report, shell: &Shell) -> Result<String, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |_| AppError::Internal("writing the CSV");
    w.write_record([
        shell.t("stats-csv-from"),
        shell.t("stats-csv-to"),
        shell.t("stats-csv-dimension"),
        shell.t("stats-csv-value"),
        shell.t("stats-csv-count"),
    ])
    .map_err(fail)?;
    let (from, to) = (report.from.to_string(), report.to.to_string());
    w.write_record([
        from.as_str(),
        to.as_str(),
        &shell.t("stats-csv-total"),
        "",
        &report.total.to_string(),
    ])
    .map_err(fail)?;
    for (dim, rows) in &report.tables {
        let dimension = shell.label("report-dim", dim);
        for (value, n) in rows {
            w.write_record([
                from.as_str(),
                to.as_str(),
                &dimension,
                value,
                &n.to_string(),
            ])
            .map_err(fail)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|_| AppError::Internal("writing the CSV"))?;
    String::from_utf8(bytes).map_err(|_| AppError::Internal("writing the CSV"))
}

pub async fn report_csv(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    let (_, org) = staff(&shell)?;
    let report = build_report(&state, &shell, org, &q).await?;
    Ok(crate::platform::web::download(
        to_csv(&report, &shell)?,
        "text/csv; charset=utf-8",
        "satis-hotline.csv",
    ))
}
