//! Information materials as pages: the editors' list with the upload form and each material's
//! steps; the public's `/materiali` (by language and audience, each file's type, size and
//! language said before the download) and the download itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::entities::news_material;
use super::files;
use super::materials::{self, AUDIENCES, MaterialDraft};
use super::ops::NewsError;
use super::rules::{self, Step};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};
use crate::reports::lang::PublicLang;

/// A material as a list shows it.
pub struct Card {
    pub id: i32,
    pub title: String,
    pub description: String,
    pub language: String,
    pub language_code: String,
    pub audience: String,
    pub kind: String,
    pub size: String,
    pub state: String,
}

fn card(shell: &Shell, m: &news_material::Model) -> Card {
    let lang = PublicLang::from_code(&m.language);
    Card {
        id: m.id,
        title: m.title.clone(),
        description: m.description.clone(),
        language: lang.map_or_else(|| m.language.clone(), |l| l.native_name().to_owned()),
        language_code: lang.map_or("it", |l| l.code()).to_owned(),
        audience: shell.t(&format!("material-audience-{}", m.audience)),
        kind: shell.t(if m.content_type == "application/pdf" {
            "material-kind-pdf"
        } else {
            "material-kind-image"
        }),
        size: files::human_size(m.size, shell.lang.code() == "it"),
        state: shell.t(&format!("news-state-{}", m.state.replace('_', "-"))),
    }
}

fn languages() -> Vec<(&'static str, &'static str)> {
    PublicLang::ALL
        .iter()
        .map(|l| (l.code(), l.native_name()))
        .collect()
}

fn audiences(shell: &Shell) -> Vec<(&'static str, String)> {
    AUDIENCES
        .iter()
        .map(|a| (*a, shell.t(&format!("material-audience-{a}"))))
        .collect()
}

fn topics(shell: &Shell) -> Vec<(&'static str, String)> {
    rules::TOPICS
        .iter()
        .map(|t| (*t, shell.t(&format!("news-topic-{t}"))))
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/materials_desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub cards: Vec<Card>,
    pub languages: Vec<(&'static str, &'static str)>,
    pub audiences: Vec<(&'static str, String)>,
    pub topics: Vec<(&'static str, String)>,
    pub draft: MaterialDraft,
    pub problems: Vec<(&'static str, String)>,
    pub max_mb: usize,
}

fn me(shell: &Shell) -> Result<crate::platform::web::shell::StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

async fn desk_page(
    state: &SharedState,
    shell: Shell,
    draft: MaterialDraft,
    problems: Vec<(&'static str, &'static str)>,
) -> Result<DeskPage, AppError> {
    let cards = materials::all(&state.db)
        .await?
        .iter()
        .map(|m| card(&shell, m))
        .collect();
    Ok(DeskPage {
        cards,
        languages: languages(),
        audiences: audiences(&shell),
        topics: topics(&shell),
        draft,
        problems: problems.into_iter().map(|(f, k)| (f, shell.t(k))).collect(),
        max_mb: files::MAX_BYTES / (1024 * 1024),
        shell,
    })
}

/// `GET /redazione/materiali`.
pub async fn desk(State(state): State<SharedState>, shell: Shell) -> Result<DeskPage, AppError> {
    me(&shell)?;
    desk_page(&state, shell, MaterialDraft::default(), Vec::new()).await
}

/// `POST /redazione/materiali` (multipart: the fields and the file).
pub async fn upload(
    State(state): State<SharedState>,
    shell: Shell,
    mut form: Multipart,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let mut d = MaterialDraft::default();
    let mut file: Vec<u8> = Vec::new();
    let mut problems = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                problems.push(("file", "material-error-upload"));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            match field.bytes().await {
                Ok(b) => file = b.to_vec(),
                Err(_) => problems.push(("file", "material-error-too-large")),
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        let value = value.trim().replace('\0', "");
        match name.as_str() {
            "title" => d.title = value,
            "description" => d.description = value,
            "language" => d.language = value,
            "audience" => d.audience = value,
            "topic" => d.topic = value,
            _ => {}
        }
    }
    if problems.is_empty() {
        match materials::create(&state, &me.actor, &d, &file).await {
            Ok(m) => {
                return Ok(Redirect::to(&format!("/redazione/materiali/{}", m.id)).into_response());
            }
            Err(NewsError::Invalid(p)) => problems = p,
            Err(NewsError::Failed(e)) => return Err(e),
            Err(_) => problems.push(("file", "material-error-upload")),
        }
    }
    let page = desk_page(&state, shell, d, problems).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/material.html")]
pub struct MaterialPage {
    pub shell: Shell,
    pub c: Card,
    pub topic: String,
    pub version: i32,
    pub steps: Vec<(&'static str, String)>,
    pub notice: Option<String>,
}

async fn material_page(
    state: &SharedState,
    shell: Shell,
    id: i32,
    notice: Option<&'static str>,
) -> Result<MaterialPage, AppError> {
    let me = me(&shell)?;
    let m = materials::summary(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = rules::State::from_code(&m.state).unwrap_or(rules::State::Draft);
    let mut steps = Vec::new();
    for step in [
        Step::Submit,
        Step::Publish,
        Step::Return,
        Step::Withdraw,
        Step::Reopen,
    ] {
        if rules::transition(from, step, m.author_id == me.actor.user_id).is_ok() {
            steps.push((step.code(), shell.t(&format!("news-step-{}", step.code()))));
        }
    }
    Ok(MaterialPage {
        c: card(&shell, &m),
        topic: shell.t(&format!("news-topic-{}", m.topic)),
        version: m.version,
        steps,
        notice: notice.map(|k| shell.t(k)),
        shell,
    })
}

/// `GET /redazione/materiali/{id}`.
pub async fn item(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<MaterialPage, AppError> {
    material_page(&state, shell, id, None).await
}

/// `POST /redazione/materiali/{id}/step`.
pub async fn step(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let f = Fields::parse(&body);
    let step = Step::from_code(&f.get("step")).ok_or(AppError::BadRequest("error-400"))?;
    let key = match materials::step(&state, &me.actor, id, step, f.version()).await {
        Ok(()) => {
            return Ok(Redirect::to(&format!("/redazione/materiali/{id}")).into_response());
        }
        Err(NewsError::Refused(key)) => key,
        Err(NewsError::Stale) => "news-error-stale",
        Err(NewsError::Invalid(_)) => "news-error-step",
        Err(NewsError::Failed(e)) => return Err(e),
    };
    let page = material_page(&state, shell, id, Some(key)).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// The file as stored, with a name and type that make browsers download it (the site's
/// headers add `nosniff` and a content policy that runs nothing).
fn file_response(m: news_material::Model) -> Response {
    let ext = match m.content_type.as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    let name = files::download_name(&m.title, ext);
    let mut r = (StatusCode::OK, m.file).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&m.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `GET /redazione/materiali/{id}/file`: an editor looks at the file before approving it.
pub async fn editor_file(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    me(&shell)?;
    let m = materials::get(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(file_response(m))
}

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    lingua: String,
    #[serde(default)]
    pubblico: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/materials.html")]
pub struct PublicPage {
    pub shell: Shell,
    pub cards: Vec<Card>,
    pub languages: Vec<(&'static str, &'static str)>,
    pub audiences: Vec<(&'static str, String)>,
    pub language: String,
    pub audience: String,
}

/// `GET /materiali`.
pub async fn public(
    State(state): State<SharedState>,
    shell: Shell,
    Query(f): Query<Filters>,
) -> Result<PublicPage, AppError> {
    let language = PublicLang::from_code(&f.lingua).map(|l| l.code());
    let audience = AUDIENCES.iter().find(|a| **a == f.pubblico).copied();
    let cards = materials::public(&state.db, language, audience)
        .await?
        .iter()
        .map(|m| card(&shell, m))
        .collect();
    Ok(PublicPage {
        cards,
        languages: languages(),
        audiences: audiences(&shell),
        language: language.unwrap_or_default().to_owned(),
        audience: audience.unwrap_or_default().to_owned(),
        shell,
    })
}

/// `GET /materiali/{id}/file`: a published material's file.
pub async fn download(
    State(state): State<SharedState>,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let m = materials::get(&state.db, id)
        .await?
        .filter(|m| m.state == rules::State::Published.code())
        .ok_or(AppError::NotFound)?;
    Ok(file_response(m))
}
