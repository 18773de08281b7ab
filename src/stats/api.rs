//! Statistics in the JSON API: the activity report of a period, for the Region's analytics.
//! The same figures as `/stats/activity`, with the same rule: a count under 5 is shown as
//! `"<5"`, never as its value.

use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{SMALL_CELL, shown};
use crate::platform::api::{self, ApiError, ApiQuery, ApiRoutes, ApiSpec, Caller};
use crate::platform::policy::Permission;
use crate::platform::web::SharedState;

pub fn routes() -> ApiRoutes {
    ApiRoutes::new().op(
        ApiSpec::get("/stats/activity", "getActivityReport")
            .summary(
                "stats",
                "The activity report of a period, small cells suppressed",
            )
            .scope("stats:read", Some(Permission::ReadAggregates))
            .query::<ActivityQuery>()
            .returns::<ActivityOut>(),
        activity,
    )
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    /// First day, `YYYY-MM-DD` (default: the last full semester).
    pub from: Option<NaiveDate>,
    /// Last day, `YYYY-MM-DD`.
    pub to: Option<NaiveDate>,
    /// Province code (e.g. `FI`); all of Tuscany when absent.
    pub province: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ActivityOut {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub province: Option<String>,
    /// Counts from 1 to this minus one are shown as `"<N"`.
    pub small_cells_below: i64,
    pub figures: Vec<FigureOut>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FigureOut {
    pub figure: String,
    /// `None` when the area that records it does not exist.
    pub total: Option<String>,
    pub breakdown: Vec<CellOut>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CellOut {
    pub dimension: String,
    pub value: String,
    pub count: String,
}

async fn activity(
    State(state): State<SharedState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ActivityQuery>,
) -> Result<Response, ApiError> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let (from, to, province) = super::period::request(&super::period::PeriodQuery {
        from: day(q.from),
        to: day(q.to),
        province: q.province.unwrap_or_default(),
    })?;
    if (to - from).num_days() > 3660 {
        return Err(ApiError::invalid("api-error-period", Some("from")));
    }
    let r = super::read_activity(
        &state,
        &caller.actor,
        (from, to),
        province.as_deref(),
        Some("api"),
    )
    .await?;
    let body = ActivityOut {
        from: r.from,
        to: r.to,
        province: r.province,
        small_cells_below: SMALL_CELL,
        figures: r
            .figures
            .into_iter()
            .map(|f| FigureOut {
                figure: f.key.to_owned(),
                total: f.value.map(shown),
                breakdown: f
                    .breakdown
                    .into_iter()
                    .map(|(dimension, value, c)| CellOut {
                        dimension,
                        value,
                        count: shown(c),
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(api::ok(&body))
}
