//! The analyst's page of the hidden-population estimate (issue 26): a period typed by the
//! analyst (never defaulted), optionally a grouping; for each group the overlap table of
//! people across lists (small cells hidden), the estimate with its interval, the models
//! considered and the caveats in plain words. A research estimate, not a count.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::estimate::{self, By, LEVEL, Seen};
use super::mse::{self, Criterion};
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Deserialize, Default)]
pub struct EstimateQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    by: String,
}

/// One model of the sensitivity table.
pub struct ModelRow {
    pub model: String,
    pub chosen: bool,
    pub total: i64,
    pub interval: String,
}

/// One group's estimate, as shown.
pub struct GroupView {
    pub name: String,
    pub observed: usize,
    /// (lists, people shown: small cells as "<5").
    pub overlap: Vec<(String, String)>,
    pub total: Option<i64>,
    pub low: i64,
    pub high: i64,
    pub unseen: i64,
    pub model: String,
    pub no_estimate: Option<String>,
    pub models: Vec<ModelRow>,
    /// The parametric bootstrap's interval of the total (low, high) and the draws left out
    /// (a list left empty, or no estimate), when it could be drawn.
    pub bootstrap: Option<(i64, i64, usize)>,
}

/// Draws of the parametric bootstrap on the page (the command takes any number), with a fixed
/// seed: the same records give the same interval on every visit.
pub const BOOTSTRAP_SAMPLES: usize = 200;
const BOOTSTRAP_SEED: u64 = 2026;

#[derive(Template, WebTemplate)]
#[template(path = "stats/templates/estimate.html")]
pub struct EstimatePage {
    pub shell: Shell,
    pub from: String,
    pub to: String,
    pub by: String,
    pub bys: Vec<(&'static str, String)>,
    pub error: Option<String>,
    pub linking: Option<estimate::Linking>,
    pub groups: Vec<GroupView>,
}

fn list_label(shell: &Shell, code: &str) -> String {
    shell.t(&format!("estimate-list-{}", code.replace('_', "-")))
}

fn group_label(shell: &Shell, by: Option<By>, value: &str) -> String {
    if value == "unknown" {
        return shell.t("stats-value-not-recorded");
    }
    match by {
        None => shell.t("estimate-everyone"),
        Some(By::Gender) => super::pages::value_label(shell.lang, "gender", value),
        Some(By::Form) => super::pages::value_label(shell.lang, "exploitation", value),
        Some(By::Province) => super::pages::value_label(shell.lang, "province", value),
        Some(By::Age) => shell.t(&format!("estimate-age-{value}")),
    }
}

/// The period and grouping typed, or the message key of what is wrong.
fn parse(q: &EstimateQuery) -> Result<(NaiveDate, NaiveDate, Option<By>), &'static str> {
    let day = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    let (Some(from), Some(to)) = (day(&q.from), day(&q.to)) else {
        return Err("estimate-error-period");
    };
    if to < from {
        return Err("estimate-error-order");
    }
    if to > crate::platform::time::rome_today() {
        return Err("estimate-error-future");
    }
    let by = match q.by.as_str() {
        "" => None,
        code => Some(By::from_code(code).ok_or("estimate-error-by")?),
    };
    Ok((from, to, by))
}

fn group_view(shell: &Shell, by: Option<By>, name: &str, members: &[&Seen]) -> GroupView {
    let mut g = GroupView {
        name: group_label(shell, by, name),
        observed: members.len(),
        overlap: Vec::new(),
        total: None,
        low: 0,
        high: 0,
        unseen: 0,
        model: String::new(),
        no_estimate: None,
        models: Vec::new(),
        bootstrap: None,
    };
    let Some(t) = estimate::table_of(members) else {
        g.no_estimate = Some(shell.t("estimate-no-lists"));
        return g;
    };
    for (m, n) in t.cells().filter(|(_, n)| *n > 0.0) {
        let lists: Vec<String> = t
            .lists
            .iter()
            .enumerate()
            .filter(|(j, _)| m & (1 << j) != 0)
            .map(|(_, l)| list_label(shell, l))
            .collect();
        g.overlap
            .push((lists.join(" + "), super::shown(estimate::whole(n))));
    }
    let criterion = Criterion::StepwiseAic { p_threshold: 0.05 };
    let path = match mse::select(&t, criterion) {
        Ok(p) => p,
        Err(e) => {
            g.no_estimate = Some(format!("{} ({e})", shell.t("estimate-none")));
            return g;
        }
    };
    let Some(chosen) = path.last() else {
        g.no_estimate = Some(shell.t("estimate-none"));
        return g;
    };
    let observed = t.observed();
    let name_of = |terms: &[(usize, usize)]| {
        if terms.is_empty() {
            shell.t("estimate-independent")
        } else {
            terms
                .iter()
                .map(|(i, j)| {
                    format!(
                        "{} × {}",
                        list_label(shell, &t.lists[*i]),
                        list_label(shell, &t.lists[*j])
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    match mse::profile_interval(&t, chosen, LEVEL) {
        Ok(i) => {
            g.total = Some(estimate::whole(observed + chosen.on_no_list()));
            g.unseen = estimate::whole(chosen.on_no_list());
            g.low = estimate::whole(i.low);
            g.high = estimate::whole(i.high);
            g.model = name_of(&chosen.terms);
            g.bootstrap = mse::bootstrap(
                &t,
                chosen,
                criterion,
                BOOTSTRAP_SAMPLES,
                LEVEL,
                BOOTSTRAP_SEED,
            )
            .map(|(i, left_out)| (estimate::whole(i.low), estimate::whole(i.high), left_out));
        }
        Err(e) => {
            g.no_estimate = Some(format!("{} ({e})", shell.t("estimate-none")));
            return g;
        }
    }
    for f in &path {
        let interval = mse::profile_interval(&t, f, LEVEL)
            .map(|i| format!("{} – {}", estimate::whole(i.low), estimate::whole(i.high)))
            .unwrap_or_else(|_| "—".into());
        g.models.push(ModelRow {
            model: name_of(&f.terms),
            chosen: std::ptr::eq(f, chosen),
            total: estimate::whole(observed + f.on_no_list()),
            interval,
        });
    }
    g
}

/// `/stats/estimate`: the form, and the estimate once a period is typed.
pub async fn page(
    State(state): State<SharedState>,
    shell: Shell,
    Query(q): Query<EstimateQuery>,
) -> Result<Response, AppError> {
    let bys = ["gender", "age", "form", "province"]
        .into_iter()
        .map(|c| (c, shell.t(&format!("estimate-by-{c}"))))
        .collect();
    let mut page = EstimatePage {
        from: q.from.clone(),
        to: q.to.clone(),
        by: q.by.clone(),
        bys,
        error: None,
        linking: None,
        groups: Vec::new(),
        shell,
    };
    if q.from.is_empty() && q.to.is_empty() {
        return Ok(page.into_response());
    }
    let (from, to, by) = match parse(&q) {
        Ok(p) => p,
        Err(key) => {
            page.error = Some(page.shell.t(key));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let (people, linking) =
        estimate::people(&state.db, &state.keys, from, to, estimate::THRESHOLD).await?;
    // Fitting, with its bootstrap, is seconds of arithmetic: off the threads that answer
    // requests, so that the analyst's wait slows nobody else's page.
    let shell = page.shell.clone();
    page.groups = tokio::task::spawn_blocking(move || {
        let mut groups: std::collections::BTreeMap<&str, Vec<&Seen>> = Default::default();
        for s in &people {
            groups.entry(estimate::group(s, by)).or_default().push(s);
        }
        groups
            .iter()
            .map(|(name, members)| group_view(&shell, by, name, members))
            .collect()
    })
    .await
    .map_err(|_| AppError::Internal("the estimate could not be computed"))?;
    page.linking = Some(linking);
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str, by: &str) -> EstimateQuery {
        EstimateQuery {
            from: from.into(),
            to: to.into(),
            by: by.into(),
        }
    }

    #[test]
    fn a_period_is_typed_in_order_and_not_in_the_future_and_a_grouping_known() {
        assert!(parse(&q("2026-01-01", "2026-06-30", "")).is_ok());
        assert_eq!(
            parse(&q("2026-01-01", "2026-06-30", "gender")).map(|p| p.2),
            Ok(Some(By::Gender))
        );
        assert_eq!(
            parse(&q("", "2026-06-30", "")).err(),
            Some("estimate-error-period")
        );
        assert_eq!(
            parse(&q("2026-06-30", "2026-01-01", "")).err(),
            Some("estimate-error-order")
        );
        assert_eq!(
            parse(&q("2026-01-01", "2999-01-01", "")).err(),
            Some("estimate-error-future")
        );
        assert_eq!(
            parse(&q("2026-01-01", "2026-06-30", "colour")).err(),
            Some("estimate-error-by")
        );
    }
}
