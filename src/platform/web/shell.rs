//! The page shell every HTML page is drawn in: language, nonce, hotline numbers, navigation and
//! the demonstration banner. Handlers take a [`Shell`] as an extractor and pass it to templates.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::routes::{Access, Routes};
use super::{AppError, RequestCtx, SharedState};
use crate::platform::config::Hotline;
use crate::platform::i18n::Lang;
use crate::platform::policy::Permission;
use axum::http::Extensions;

/// The CSRF token forms of this request must carry (as the hidden field `_csrf`); the session
/// layer of the identity area puts it in the request.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// What the page shell shows of the signed-in person (put in the request by the session layer).
#[derive(Clone, Debug)]
pub struct StaffView {
    pub username: String,
    pub display_name: String,
    pub organisation: Option<String>,
    pub actor: crate::platform::policy::Actor,
    pub full: bool,
    /// The registry's version read with the session (`network::registry`): a page that
    /// changes no organisation or service shows the registry at this version.
    pub registry_version: Option<i64>,
}

/// Name of the cookie that remembers the chosen language (nothing else is in it).
pub const LANG_COOKIE: &str = "satis_lang";

/// One entry of the main navigation.
#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label_key: &'static str,
}

/// What the layout needs to draw a page.
#[derive(Clone, Debug)]
pub struct Shell {
    pub lang: Lang,
    pub nonce: String,
    pub request_id: String,
    /// The current path (with query), to come back to after switching language.
    pub path: String,
    pub hotline: Hotline,
    pub demo: bool,
    pub nav: Vec<NavItem>,
    /// How many items are due for the signed-in person (0 when none or not counted).
    pub due: usize,
    /// The CSRF token every form of the page carries as `_csrf`.
    pub csrf: String,
    /// The signed-in staff member, if any.
    pub staff: Option<StaffView>,
}

impl Shell {
    /// Translates a key in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// Whether the signed-in person's roles carry `permission` (for showing links; routes
    /// enforce it on their own).
    pub fn can(&self, permission: Permission) -> bool {
        self.staff
            .as_ref()
            .is_some_and(|s| s.full && s.actor.can(permission))
    }

    /// Translates a key with one named argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        self.lang.t_args(key, &[(name, value)])
    }

    /// The languages other than the current one, with the link that switches to each.
    pub fn other_langs(&self) -> Vec<(Lang, String)> {
        Lang::ALL
            .into_iter()
            .filter(|l| *l != self.lang)
            .map(|l| (l, lang_switch_href(l, &self.path)))
            .collect()
    }

    /// Whether someone is fully signed in (their language is a stored preference).
    pub fn signed_in(&self) -> bool {
        self.staff.as_ref().is_some_and(|s| s.full)
    }

    /// The hotline number as a `tel:` link target.
    pub fn tel(number: &str) -> String {
        let digits: String = number
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect();
        format!("tel:{digits}")
    }

    pub fn regional_tel(&self) -> String {
        Self::tel(&self.hotline.regional)
    }

    pub fn national_tel(&self) -> String {
        Self::tel(&self.hotline.national)
    }

    pub fn ordinary_tel(&self) -> String {
        Self::tel(&self.hotline.ordinary)
    }

    pub fn is_current(&self, href: &str) -> bool {
        let path = self.path.split('?').next().unwrap_or("");
        if href == "/" {
            path == "/"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        }
    }

    /// The navigation: what the signed-in person's roles open, or the public entries.
    fn nav_for(staff: Option<&StaffView>) -> Vec<NavItem> {
        let item = |href, label_key| NavItem { href, label_key };
        let Some(staff) = staff.filter(|s| s.full) else {
            return vec![
                item("/", "nav-home"),
                item("/rete", "nav-network"),
                item("/segnala", "nav-segnala"),
                item("/dati-aperti", "nav-dati-aperti"),
                item("/login", "nav-login"),
            ];
        };
        let mut nav = vec![
            item("/", "nav-dashboard"),
            item("/reminders", "nav-reminders"),
        ];
        if staff.actor.can(Permission::Hotline) {
            nav.push(item("/hotline", "nav-hotline"));
            nav.push(item("/reports", "nav-reports"));
        }
        if staff.actor.can(Permission::Outreach) {
            nav.push(item("/outreach", "nav-outreach"));
        } else if staff.actor.can(Permission::OutreachReport) {
            nav.push(item("/outreach/report", "nav-outreach"));
        }
        if staff.actor.can(Permission::Mediate) {
            nav.push(item("/mediazioni", "nav-mediations"));
        }
        if staff.actor.can(Permission::WorkOnRecords) {
            nav.push(item("/cases", "nav-cases"));
        }
        if staff.actor.can(Permission::Referrals) {
            nav.push(item("/referrals", "nav-referrals"));
        }
        if staff.actor.can(Permission::Projects) {
            nav.push(item("/projects", "nav-projects"));
        }
        if staff.actor.can(Permission::EditNews) {
            nav.push(item("/redazione", "nav-news-desk"));
        }
        if staff.actor.can(Permission::ReadAggregates) {
            nav.push(item("/stats/activity", "nav-stats"));
            nav.push(item("/stats/historical", "nav-historical"));
            nav.push(item("/stats/open-data", "nav-open-data"));
        }
        if staff.actor.can(Permission::ProjectBudgets)
            || staff.actor.can(Permission::ManageEditions)
        {
            nav.push(item("/editions", "nav-editions"));
        }
        nav.push(item("/network", "nav-network"));
        if staff.actor.can(Permission::ManageUsers) {
            nav.push(item("/admin/users", "nav-users"));
            nav.push(item("/admin/organisations", "nav-organisations"));
        }
        if staff.actor.can(Permission::ReviewBreakGlass) {
            nav.push(item("/break-glass/review", "nav-break-glass-review"));
        }
        if staff.actor.can(Permission::ReadAudit) {
            nav.push(item("/audit", "nav-audit"));
        }
        nav.push(item("/account", "nav-account"));
        nav
    }

    /// Builds a shell from a request's parts (used by the extractor and by error pages).
    pub fn from_parts(
        state: &SharedState,
        ctx: Option<&RequestCtx>,
        extensions: Option<&Extensions>,
        uri_path: String,
    ) -> Shell {
        let (lang, nonce, request_id) = match ctx {
            Some(c) => (c.lang, c.nonce.clone(), c.id.clone()),
            None => (state.config.default_locale, String::new(), String::new()),
        };
        let staff = extensions.and_then(|e| e.get::<StaffView>()).cloned();
        let csrf = extensions
            .and_then(|e| e.get::<CsrfToken>())
            .map(|c| c.0.clone())
            .unwrap_or_default();
        Shell {
            lang,
            nonce,
            request_id,
            path: uri_path,
            hotline: state.config.hotline.clone(),
            demo: state.demo,
            nav: Self::nav_for(staff.as_ref()),
            due: extensions
                .and_then(|e| e.get::<super::DueCount>())
                .map_or(0, |d| d.0),
            csrf,
            staff,
        }
    }

    /// The translation of a code from a vocabulary: `label("phase", "first_assistance")` looks
    /// up `phase-first-assistance`.
    pub fn label(&self, prefix: &str, code: &str) -> String {
        self.t(&format!("{prefix}-{}", code.replace('_', "-")))
    }

    /// The translated name of an organisation kind code.
    pub fn org_kind(&self, code: &str) -> String {
        self.t(&format!("org-kind-{}", code.replace('_', "-")))
    }

    /// The signed-in person's role names in the current organisation, translated.
    pub fn role_names(&self) -> String {
        self.staff
            .as_ref()
            .map(|s| {
                s.actor
                    .roles
                    .iter()
                    .map(|r| self.t(&r.label_key()))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

impl FromRequestParts<SharedState> for Shell {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        Ok(Shell::from_parts(
            state,
            parts.extensions.get::<RequestCtx>(),
            Some(&parts.extensions),
            path,
        ))
    }
}

/// The value of one cookie, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A local path to return to, or `/` when `next` could lead to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn lang_switch_href(lang: Lang, current: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(current.as_bytes()).collect();
    format!("/lang/{}?next={next}", lang.code())
}

pub fn routes() -> Routes {
    Routes::new().get("/lang/{code}", Access::Public, switch_language)
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `GET /lang/{code}?next=/path`: remembers the language in a cookie and goes back.
/// A plain link, so that it works without JavaScript; it changes no stored data.
async fn switch_language(
    State(state): State<SharedState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    let lang = Lang::from_code(&code).ok_or(AppError::NotFound)?;
    let secure = if state.config.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}",
        lang.code()
    );
    let mut response = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next(Some("/login?x=1")), "/login?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xsatis_lang=it; satis_lang=en"),
        );
        assert_eq!(cookie(&h, LANG_COOKIE).as_deref(), Some("en"));
        assert_eq!(cookie(&h, "other"), None);
    }

    #[test]
    fn tel_links_keep_only_digits() {
        assert_eq!(Shell::tel("800 290 290"), "tel:800290290");
    }
}
