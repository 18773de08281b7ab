//! `/dati-aperti`: the open data as a citizen meets them — what is published, why some
//! numbers are hidden, how to cite them — and, when the Region has decided to publish them
//! (`open_data.public`), the files themselves, made at most once an hour.

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::open_data::{self, Anonymisation, DEFAULT_K};
use crate::platform::web::{AppError, SharedState, Shell};

/// The files of a release.
pub struct Release {
    pub made_on: String,
    pub microdata: String,
    pub aggregates: String,
    pub report: Anonymisation,
}

async fn release(state: &SharedState) -> Result<Arc<Release>, AppError> {
    state
        .open_data
        .get_or_make(Duration::from_secs(3600), || async {
            let (microdata, aggregates, report) = open_data::export(&state.db, DEFAULT_K)
                .await?
                .map_err(|_| AppError::Internal("open data"))?;
            Ok::<_, AppError>(Release {
                made_on: crate::platform::time::rome_today()
                    .format("%d/%m/%Y")
                    .to_string(),
                microdata,
                aggregates,
                report,
            })
        })
        .await
}

#[derive(Template, WebTemplate)]
#[template(path = "stats/templates/public_open_data.html")]
pub struct PublicOpenDataPage {
    pub shell: Shell,
    pub k: usize,
    pub licence: String,
    pub publisher: String,
    /// `None` while the Region has not published the files.
    pub release: Option<Arc<Release>>,
}

impl PublicOpenDataPage {
    /// How to cite the data.
    pub fn citation(&self) -> String {
        self.shell.lang.t_args(
            "dati-aperti-citation",
            &[("publisher", &self.publisher), ("licence", &self.licence)],
        )
    }

    /// A file's size for people: "12 KB".
    pub fn size(&self, text: &str) -> String {
        let kb = text.len().div_ceil(1024);
        format!("{kb} KB")
    }
}

pub async fn page(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<PublicOpenDataPage, AppError> {
    let release = if state.config.open_data.public {
        Some(release(&state).await?)
    } else {
        None
    };
    Ok(PublicOpenDataPage {
        shell,
        k: DEFAULT_K,
        licence: state.config.open_data.licence.clone(),
        publisher: state.config.open_data.publisher.clone(),
        release,
    })
}

async fn file(state: &SharedState, micro: bool) -> Result<Response, AppError> {
    if !state.config.open_data.public {
        return Err(AppError::NotFound);
    }
    let r = release(state).await?;
    let (body, name) = if micro {
        (r.microdata.clone(), "satis-microdati-ctdc.csv")
    } else {
        (r.aggregates.clone(), "satis-tabelle-aggregate.csv")
    };
    Ok(crate::platform::web::download(body, "text/csv; charset=utf-8", name).into_response())
}

pub async fn microdata(State(state): State<SharedState>) -> Result<Response, AppError> {
    file(&state, true).await
}

pub async fn aggregates(State(state): State<SharedState>) -> Result<Response, AppError> {
    file(&state, false).await
}
