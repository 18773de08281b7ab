//! The editors' pages: the desk of every item, the form (write, change a draft), the preview
//! as the public will read it, and the steps of the publishing workflow.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::entities::news_item;
use super::ops::{self, NewsError};
use super::rules::{self, Draft, Step};
use crate::platform::web::form::Fields;
use crate::platform::web::{AppError, SharedState, Shell};

/// An item on the desk.
pub struct Row {
    pub id: i32,
    pub title: String,
    pub state: String,
    pub topic: String,
    pub when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/desk.html")]
pub struct DeskPage {
    pub shell: Shell,
    pub rows: Vec<Row>,
}

/// The form, with what was typed and its problems; the item when it exists.
#[derive(Template, WebTemplate)]
#[template(path = "news/templates/edit.html")]
pub struct EditPage {
    pub shell: Shell,
    pub id: Option<i32>,
    pub version: i32,
    pub state: String,
    pub state_label: String,
    pub editable: bool,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub topic: String,
    pub province: String,
    pub publish_at: String,
    pub withdraw_at: String,
    pub topics: Vec<(&'static str, String)>,
    pub provinces: &'static [&'static str],
    pub problems: Vec<(&'static str, String)>,
    pub preview: String,
    /// (step code, label) the editor may take.
    pub steps: Vec<(&'static str, String)>,
    pub notice: Option<String>,
    /// Whether the item has a picture, and what it shows.
    pub has_image: bool,
    pub image_alt: String,
}

fn me(shell: &Shell) -> Result<crate::platform::web::shell::StaffView, AppError> {
    shell.staff.clone().ok_or(AppError::Unauthorized)
}

fn topics(shell: &Shell) -> Vec<(&'static str, String)> {
    rules::TOPICS
        .iter()
        .map(|t| (*t, shell.t(&format!("news-topic-{t}"))))
        .collect()
}

pub async fn desk(State(state): State<SharedState>, shell: Shell) -> Result<DeskPage, AppError> {
    me(&shell)?;
    let rows = ops::all(&state.db)
        .await?
        .into_iter()
        .map(|i| Row {
            id: i.id,
            state: shell.t(&format!("news-state-{}", i.state.replace('_', "-"))),
            topic: shell.t(&format!("news-topic-{}", i.topic)),
            when: i
                .publish_at
                .map(|t| crate::platform::time::rome_time(&t))
                .unwrap_or_default(),
            title: i.title,
        })
        .collect();
    Ok(DeskPage { shell, rows })
}

fn blank(shell: Shell) -> EditPage {
    EditPage {
        topics: topics(&shell),
        provinces: crate::network::rules::PROVINCES,
        id: None,
        version: 0,
        state: "draft".into(),
        state_label: shell.t("news-state-draft"),
        editable: true,
        title: String::new(),
        summary: String::new(),
        body: String::new(),
        topic: String::new(),
        province: String::new(),
        publish_at: String::new(),
        withdraw_at: String::new(),
        problems: Vec::new(),
        preview: String::new(),
        steps: Vec::new(),
        notice: None,
        has_image: false,
        image_alt: String::new(),
        shell,
    }
}

fn of_item(shell: Shell, i: &news_item::Model, is_author: bool) -> EditPage {
    let mut p = blank(shell);
    let time = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.as_ref()
            .map(crate::platform::time::rome_input)
            .unwrap_or_default()
    };
    p.id = Some(i.id);
    p.version = i.version;
    p.state = i.state.clone();
    p.state_label = p
        .shell
        .t(&format!("news-state-{}", i.state.replace('_', "-")));
    p.editable = i.state == "draft";
    p.title = i.title.clone();
    p.summary = i.summary.clone();
    p.body = i.body.clone();
    p.topic = i.topic.clone();
    p.province = i.province.clone().unwrap_or_default();
    p.publish_at = time(&i.publish_at);
    p.withdraw_at = time(&i.withdraw_at);
    p.preview = rules::render(&i.body);
    p.has_image = i.image.is_some();
    p.image_alt = i.image_alt.clone().unwrap_or_default();
    let from = rules::State::from_code(&i.state).unwrap_or(rules::State::Draft);
    for step in [
        Step::Submit,
        Step::Publish,
        Step::Return,
        Step::Withdraw,
        Step::Reopen,
    ] {
        if rules::transition(from, step, is_author).is_ok() {
            p.steps.push((
                step.code(),
                p.shell.t(&format!("news-step-{}", step.code())),
            ));
        }
    }
    p
}

/// The typed item, or the problems of its dates.
fn typed(f: &Fields) -> (Draft, Vec<(&'static str, &'static str)>) {
    let mut problems = Vec::new();
    let mut time = |field: &'static str| {
        let raw = f.get(field);
        if raw.is_empty() {
            return None;
        }
        let t = crate::platform::time::parse_rome_time(&raw);
        if t.is_none() {
            problems.push((field, "news-error-time"));
        }
        t
    };
    let publish_at = time("publish_at");
    let withdraw_at = time("withdraw_at");
    (
        Draft {
            title: f.get("title"),
            summary: f.get("summary"),
            body: f.all("body").into_iter().next().unwrap_or_default(),
            topic: f.get("topic"),
            province: f.opt("province"),
            publish_at,
            withdraw_at,
        },
        problems,
    )
}

fn refill(mut p: EditPage, f: &Fields, problems: Vec<(&'static str, &'static str)>) -> Response {
    p.title = f.get("title");
    p.summary = f.get("summary");
    p.body = f.all("body").into_iter().next().unwrap_or_default();
    p.topic = f.get("topic");
    p.province = f.get("province");
    p.publish_at = f.get("publish_at");
    p.withdraw_at = f.get("withdraw_at");
    p.problems = problems
        .into_iter()
        .map(|(field, key)| (field, p.shell.t(key)))
        .collect();
    (StatusCode::UNPROCESSABLE_ENTITY, p).into_response()
}

pub async fn new(shell: Shell) -> Result<EditPage, AppError> {
    me(&shell)?;
    Ok(blank(shell))
}

pub async fn create(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let f = Fields::parse(&body);
    let (d, mut problems) = typed(&f);
    problems.extend(rules::problems(&d));
    if problems.is_empty() {
        match ops::create(&state, &me.actor, &d).await {
            Ok(i) => {
                return Ok(Redirect::to(&format!("/redazione/notizie/{}", i.id)).into_response());
            }
            Err(NewsError::Invalid(p)) => problems = p,
            Err(NewsError::Failed(e)) => return Err(e),
            Err(_) => return Err(AppError::Internal("a new item cannot be stale")),
        }
    }
    Ok(refill(blank(shell), &f, problems))
}

pub async fn item(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<EditPage, AppError> {
    let me = me(&shell)?;
    let i = ops::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(of_item(shell, &i, i.author_id == me.actor.user_id))
}

pub async fn update(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let i = ops::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let f = Fields::parse(&body);
    let version = f.get("version").parse().unwrap_or(-1);
    let (d, mut problems) = typed(&f);
    problems.extend(rules::problems(&d));
    if problems.is_empty() {
        match ops::update(&state, &me.actor, id, &d, version).await {
            Ok(()) => return Ok(Redirect::to(&format!("/redazione/notizie/{id}")).into_response()),
            Err(NewsError::Invalid(p)) => problems = p,
            Err(NewsError::Refused(key)) => problems = vec![("title", key)],
            Err(NewsError::Stale) => problems = vec![("title", "news-error-stale")],
            Err(NewsError::Failed(e)) => return Err(e),
        }
    }
    let page = of_item(shell, &i, i.author_id == me.actor.user_id);
    Ok(refill(page, &f, problems))
}

pub async fn step(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let f = Fields::parse(&body);
    let step = Step::from_code(&f.get("step")).ok_or(AppError::BadRequest("error-400"))?;
    let version = f.get("version").parse().unwrap_or(-1);
    let key = match ops::step(&state, &me.actor, id, step, version).await {
        Ok(()) => return Ok(Redirect::to(&format!("/redazione/notizie/{id}")).into_response()),
        Err(NewsError::Refused(key)) => key,
        Err(NewsError::Stale) => "news-error-stale",
        Err(NewsError::Invalid(_)) => "news-error-step",
        Err(NewsError::Failed(e)) => return Err(e),
    };
    let i = ops::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut page = of_item(shell, &i, i.author_id == me.actor.user_id);
    page.notice = Some(page.shell.t(key));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /redazione/notizie/{id}/immagine` (multipart: the picture, what it shows, the form's
/// version; `remove` takes the picture away).
pub async fn set_image(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
    mut form: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let me = me(&shell)?;
    let (mut file, mut alt, mut version, mut remove) = (Vec::new(), String::new(), -1, false);
    let mut broken = false;
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                if name == "image" {
                    match field.bytes().await {
                        Ok(b) => file = b.to_vec(),
                        Err(_) => broken = true,
                    }
                    continue;
                }
                let value = field.text().await.unwrap_or_default().replace('\0', "");
                match name.as_str() {
                    "image_alt" => alt = value,
                    "version" => version = value.trim().parse().unwrap_or(-1),
                    "remove" => remove = true,
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    let outcome = if broken {
        Err(NewsError::Invalid(vec![("image", "material-error-upload")]))
    } else {
        let file = (!remove).then_some(file.as_slice());
        ops::set_image(&state, &me.actor, id, version, file, &alt).await
    };
    let key = match outcome {
        Ok(()) => return Ok(Redirect::to(&format!("/redazione/notizie/{id}")).into_response()),
        Err(NewsError::Invalid(p)) => p.first().map_or("error-400", |(_, k)| *k),
        Err(NewsError::Refused(k)) => k,
        Err(NewsError::Stale) => "news-error-stale",
        Err(NewsError::Failed(e)) => return Err(e),
    };
    let i = ops::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut page = of_item(shell, &i, i.author_id == me.actor.user_id);
    page.notice = Some(page.shell.t(key));
    page.image_alt = alt;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// A picture as served: its type, cached briefly, never sniffed.
pub fn image_response(bytes: Vec<u8>, kind: &str) -> Response {
    let mut r = (StatusCode::OK, bytes).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(kind) {
        r.headers_mut().insert(axum::http::header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// `GET /redazione/notizie/{id}/immagine`: the picture of any item, for its editors.
pub async fn editor_image(
    State(state): State<SharedState>,
    shell: Shell,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    me(&shell)?;
    let (bytes, kind, _) = ops::image(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(image_response(bytes, &kind))
}
