//! What the public reads: `/notizie` (filters by topic and province), each article with its
//! social-card metadata, the Atom feed and the site's `sitemap.xml`. Script-free, small pages
//! with the hotline's numbers, as every public page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;

use super::entities::news_item;
use super::{ops, rules};
use crate::platform::web::chart::esc as xml;
use crate::platform::web::{AppError, SharedState, Shell};

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    topic: String,
    #[serde(default)]
    provincia: String,
}

/// An item as listed or read.
pub struct Article {
    pub id: i32,
    pub title: String,
    pub summary: String,
    pub topic: String,
    pub province: Option<String>,
    pub date: String,
    pub iso: String,
    pub html: String,
    /// What the picture shows, when the item has one.
    pub image_alt: Option<String>,
}

fn article(shell: &Shell, i: &news_item::Model, body: bool) -> Article {
    let at = i.publish_at.unwrap_or(i.created_at);
    Article {
        id: i.id,
        title: i.title.clone(),
        summary: i.summary.clone(),
        topic: shell.t(&format!("news-topic-{}", i.topic)),
        province: i
            .province
            .as_deref()
            .and_then(crate::network::rules::province_name)
            .map(str::to_owned),
        date: crate::platform::time::rome_date(at)
            .format("%d/%m/%Y")
            .to_string(),
        iso: crate::platform::time::rome_date(at).to_string(),
        html: if body {
            rules::render(&i.body)
        } else {
            String::new()
        },
        image_alt: i
            .image
            .as_ref()
            .map(|_| i.image_alt.clone().unwrap_or_default()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/list.html")]
pub struct ListPage {
    pub shell: Shell,
    pub items: Vec<Article>,
    pub topics: Vec<(&'static str, String)>,
    pub provinces: Vec<(&'static str, &'static str)>,
    pub topic: String,
    pub province: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/article.html")]
pub struct ArticlePage {
    pub shell: Shell,
    pub a: Article,
    pub url: String,
}

/// The site's public address: `public_url`, else the request's host (https unless cookies
/// are allowed over plain http).
pub fn base(state: &SharedState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let scheme = if state.config.cookie_secure {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

pub async fn list(
    State(state): State<SharedState>,
    shell: Shell,
    Query(f): Query<Filters>,
) -> Result<ListPage, AppError> {
    let topic = Some(f.topic.as_str()).filter(|t| rules::TOPICS.contains(t));
    let province =
        Some(f.provincia.as_str()).filter(|p| crate::network::rules::PROVINCES.contains(p));
    let items = ops::public(&state.db, Utc::now(), topic, province)
        .await?
        .iter()
        .map(|i| article(&shell, i, false))
        .collect();
    Ok(ListPage {
        topics: rules::TOPICS
            .iter()
            .map(|t| (*t, shell.t(&format!("news-topic-{t}"))))
            .collect(),
        provinces: crate::network::rules::PROVINCES
            .iter()
            .map(|p| (*p, crate::network::rules::province_name(p).unwrap_or(p)))
            .collect(),
        topic: topic.unwrap_or_default().to_owned(),
        province: province.unwrap_or_default().to_owned(),
        items,
        shell,
    })
}

pub async fn read(
    State(state): State<SharedState>,
    shell: Shell,
    headers: HeaderMap,
    Path(id): Path<i32>,
) -> Result<ArticlePage, AppError> {
    let i = ops::get(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !rules::is_public(&i.state, i.publish_at, i.withdraw_at, Utc::now()) {
        return Err(AppError::NotFound);
    }
    Ok(ArticlePage {
        url: format!("{}/notizie/{id}", base(&state, &headers)),
        a: article(&shell, &i, true),
        shell,
    })
}

/// `GET /notizie/{id}/immagine`: the picture of an article on the site.
pub async fn image(
    State(state): State<SharedState>,
    Path(id): Path<i32>,
) -> Result<Response, AppError> {
    let (bytes, kind, i) = ops::image(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if !rules::is_public(&i.state, i.publish_at, i.withdraw_at, Utc::now()) {
        return Err(AppError::NotFound);
    }
    Ok(super::pages::image_response(bytes, &kind))
}

/// A training event of the network as the public reads it.
pub struct Event {
    pub title: String,
    pub place: String,
    pub date: String,
    pub iso: String,
    pub organisations: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "news/templates/events.html")]
pub struct EventsPage {
    pub shell: Shell,
    pub upcoming: Vec<Event>,
    pub past: Vec<Event>,
}

/// `/eventi`: the network's seminars and training events as recorded in the registry, the
/// coming ones first (soonest first), then the past ones (latest first).
pub async fn events(
    State(state): State<SharedState>,
    shell: Shell,
) -> Result<EventsPage, AppError> {
    let today = crate::platform::time::rome_today();
    let mut all = crate::network::trainings(&state.db).await?;
    all.sort_by_key(|t| (t.held_on, t.id));
    let as_event = |t: &crate::network::Training| Event {
        title: t.title.clone(),
        place: t.place.clone(),
        date: t.held_on.format("%d/%m/%Y").to_string(),
        iso: t.held_on.to_string(),
        organisations: t.organisations.clone(),
    };
    let upcoming = all
        .iter()
        .filter(|t| t.held_on >= today)
        .map(as_event)
        .collect();
    let past = all
        .iter()
        .rev()
        .filter(|t| t.held_on < today)
        .map(as_event)
        .collect();
    Ok(EventsPage {
        shell,
        upcoming,
        past,
    })
}

/// The Atom feed of the news (RFC 4287): the 50 newest items, each with its summary and its
/// body as (sanitised) HTML.
pub async fn feed(
    State(state): State<SharedState>,
    shell: Shell,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let base = base(&state, &headers);
    let items = ops::public(&state.db, Utc::now(), None, None).await?;
    let rfc = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let updated = items
        .iter()
        .filter_map(|i| i.publish_at)
        .max()
        .unwrap_or_else(|| {
            crate::platform::time::rome_midnight(crate::platform::time::earliest_date())
        });
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"it\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n",
        xml(&shell.t("news-feed-title"))
    ));
    out.push_str(&format!("<id>{}/notizie</id>\n", xml(&base)));
    out.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}/notizie/feed.atom\"/>\n",
        xml(&base)
    ));
    out.push_str(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}/notizie\"/>\n",
        xml(&base)
    ));
    out.push_str(&format!("<updated>{}</updated>\n", rfc(updated)));
    out.push_str(&format!(
        "<author><name>{}</name></author>\n",
        xml(&shell.t("news-feed-author"))
    ));
    for i in items.iter().take(50) {
        let at = i.publish_at.unwrap_or(i.updated_at);
        let url = format!("{base}/notizie/{}", i.id);
        out.push_str("<entry>\n");
        out.push_str(&format!("<title>{}</title>\n", xml(&i.title)));
        out.push_str(&format!("<id>{}</id>\n", xml(&url)));
        out.push_str(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            xml(&url)
        ));
        out.push_str(&format!("<published>{}</published>\n", rfc(at)));
        out.push_str(&format!(
            "<updated>{}</updated>\n",
            rfc(at.max(i.updated_at))
        ));
        out.push_str(&format!(
            "<category term=\"{}\" label=\"{}\"/>\n",
            xml(&i.topic),
            xml(&shell.t(&format!("news-topic-{}", i.topic)))
        ));
        out.push_str(&format!("<summary>{}</summary>\n", xml(&i.summary)));
        out.push_str(&format!(
            "<content type=\"html\">{}</content>\n",
            xml(&rules::render(&i.body))
        ));
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        out,
    )
        .into_response())
}

/// `sitemap.xml` (sitemaps.org 0.9): the public pages, every article and every material's
/// file on the site.
pub async fn sitemap(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let base = base(&state, &headers);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in [
        "/",
        "/rete",
        "/segnala",
        "/notizie",
        "/eventi",
        "/materiali",
        "/newsletter",
        "/dati-aperti",
        "/stats/definizioni",
    ] {
        out.push_str(&format!("<url><loc>{}{path}</loc></url>\n", xml(&base)));
    }
    for i in ops::public(&state.db, Utc::now(), None, None).await? {
        out.push_str(&format!(
            "<url><loc>{}/notizie/{}</loc><lastmod>{}</lastmod></url>\n",
            xml(&base),
            i.id,
            crate::platform::time::rome_date(i.updated_at)
        ));
    }
    for m in super::materials::public(&state.db, None, None).await? {
        out.push_str(&format!(
            "<url><loc>{}/materiali/{}/file</loc><lastmod>{}</lastmod></url>\n",
            xml(&base),
            m.id,
            crate::platform::time::rome_date(m.updated_at)
        ));
    }
    out.push_str("</urlset>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(
            super::xml("A & B <c> \"d\" 'e'\u{1}"),
            "A &amp; B &lt;c&gt; &quot;d&quot; &#39;e&#39;"
        );
    }
}
