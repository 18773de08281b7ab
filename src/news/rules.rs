//! The rules of news (issue 27), plain functions with their unit tests: the publishing state
//! machine (draft → in review → published → withdrawn, a second editor approving), what the
//! public sees at a given moment, what a well-formed item is, and the Markdown of its body
//! rendered to HTML that can carry no script.

use chrono::{DateTime, Utc};

/// Topics of news, in the order the filter lists them.
pub const TOPICS: &[&str] = &[
    "network",
    "prevention",
    "training",
    "events",
    "calls",
    "data",
];

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 400;
pub const BODY_MAX: usize = 50_000;

/// Where an item is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Draft,
    InReview,
    Published,
    Withdrawn,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::InReview => "in_review",
            State::Published => "published",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn from_code(code: &str) -> Option<State> {
        [
            State::Draft,
            State::InReview,
            State::Published,
            State::Withdrawn,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// A step an editor takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Ask a colleague to review it.
    Submit,
    /// Approve and publish it (now or at its scheduled time).
    Publish,
    /// Send it back to its author's draft.
    Return,
    /// Take it off the public site.
    Withdraw,
    /// Take a withdrawn item back to a draft, to rework it.
    Reopen,
}

impl Step {
    pub fn from_code(code: &str) -> Option<Step> {
        match code {
            "submit" => Some(Step::Submit),
            "publish" => Some(Step::Publish),
            "return" => Some(Step::Return),
            "withdraw" => Some(Step::Withdraw),
            "reopen" => Some(Step::Reopen),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Publish => "publish",
            Step::Return => "return",
            Step::Withdraw => "withdraw",
            Step::Reopen => "reopen",
        }
    }
}

/// The state `step` leads to from `from`, taken by an editor who is (or is not) the author;
/// else the message key of why not. Nobody approves their own item.
pub fn transition(from: State, step: Step, is_author: bool) -> Result<State, &'static str> {
    match (from, step) {
        (State::Draft, Step::Submit) => Ok(State::InReview),
        (State::InReview, Step::Publish) if is_author => Err("news-error-own-review"),
        (State::InReview, Step::Publish) => Ok(State::Published),
        (State::InReview, Step::Return) => Ok(State::Draft),
        (State::Published, Step::Withdraw) => Ok(State::Withdrawn),
        (State::Withdrawn, Step::Reopen) => Ok(State::Draft),
        _ => Err("news-error-step"),
    }
}

/// Whether an item is on the public site at `now`: published, its time come, not yet
/// withdrawn (a scheduled withdrawal takes it off by itself).
pub fn is_public(
    state: &str,
    publish_at: Option<DateTime<Utc>>,
    withdraw_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    state == State::Published.code()
        && publish_at.is_some_and(|t| t <= now)
        && withdraw_at.is_none_or(|t| t > now)
}

/// An item as typed.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub topic: String,
    pub province: Option<String>,
    pub publish_at: Option<DateTime<Utc>>,
    pub withdraw_at: Option<DateTime<Utc>>,
}

/// Every problem of a typed item: (field, message key), in the form's order.
pub fn problems(d: &Draft) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let title = d.title.trim().chars().count();
    if !(5..=TITLE_MAX).contains(&title) {
        out.push(("title", "news-error-title"));
    }
    if d.summary.trim().is_empty() || d.summary.chars().count() > SUMMARY_MAX {
        out.push(("summary", "news-error-summary"));
    }
    if d.body.trim().is_empty() || d.body.chars().count() > BODY_MAX {
        out.push(("body", "news-error-body"));
    }
    if !TOPICS.contains(&d.topic.as_str()) {
        out.push(("topic", "news-error-topic"));
    }
    if d.province
        .as_deref()
        .is_some_and(|p| !crate::network::rules::PROVINCES.contains(&p))
    {
        out.push(("province", "news-error-province"));
    }
    if let (Some(p), Some(w)) = (d.publish_at, d.withdraw_at)
        && w <= p
    {
        out.push(("withdraw_at", "news-error-withdraw-before"));
    }
    out
}

/// The body's Markdown as HTML safe to put in a page: tables and strikethrough allowed; raw
/// HTML, scripts, event attributes, `javascript:` links and images (which would be fetched
/// from anywhere: no third-party request) removed; links open nothing in the background.
pub fn render(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .rm_tags(["img"])
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_editor_publishes_and_the_steps_follow_the_machine() {
        use State as S;
        use Step as T;
        assert_eq!(transition(S::Draft, T::Submit, true), Ok(S::InReview));
        assert_eq!(
            transition(S::InReview, T::Publish, true),
            Err("news-error-own-review")
        );
        assert_eq!(transition(S::InReview, T::Publish, false), Ok(S::Published));
        assert_eq!(transition(S::InReview, T::Return, false), Ok(S::Draft));
        assert_eq!(
            transition(S::Published, T::Withdraw, true),
            Ok(S::Withdrawn)
        );
        assert_eq!(transition(S::Withdrawn, T::Reopen, true), Ok(S::Draft));
        assert_eq!(
            transition(S::Draft, T::Publish, false),
            Err("news-error-step")
        );
        assert_eq!(
            transition(S::Published, T::Submit, false),
            Err("news-error-step")
        );
        assert_eq!(State::from_code("in_review"), Some(S::InReview));
        assert_eq!(Step::from_code("publish"), Some(T::Publish));
    }

    #[test]
    fn the_public_sees_an_item_from_its_time_until_it_is_withdrawn() {
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default()
        };
        let now = t("2026-12-04T23:00:00Z");
        assert!(is_public(
            "published",
            Some(t("2026-12-04T22:59:59Z")),
            None,
            now
        ));
        assert!(is_public("published", Some(now), None, now), "at its time");
        assert!(!is_public(
            "published",
            Some(t("2026-12-05T08:00:00Z")),
            None,
            now
        ));
        assert!(!is_public(
            "published",
            Some(t("2026-12-01T08:00:00Z")),
            Some(now),
            now
        ));
        assert!(is_public(
            "published",
            Some(t("2026-12-01T08:00:00Z")),
            Some(t("2026-12-05T00:00:00Z")),
            now
        ));
        assert!(!is_public(
            "in_review",
            Some(t("2026-12-01T08:00:00Z")),
            None,
            now
        ));
        assert!(!is_public(
            "withdrawn",
            Some(t("2026-12-01T08:00:00Z")),
            None,
            now
        ));
    }

    #[test]
    fn a_typed_item_names_every_problem() {
        let ok = Draft {
            title: "Nuovo sportello a Prato".into(),
            summary: "Apre lo sportello.".into(),
            body: "Testo".into(),
            topic: "network".into(),
            province: Some("PO".into()),
            ..Default::default()
        };
        assert!(problems(&ok).is_empty());
        let bad = Draft {
            title: "Ciao".into(),
            summary: String::new(),
            body: "x".repeat(BODY_MAX + 1),
            topic: "gossip".into(),
            province: Some("RM".into()),
            publish_at: Some(Utc::now()),
            withdraw_at: Some(Utc::now() - chrono::Duration::hours(1)),
        };
        let fields: Vec<&str> = problems(&bad).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "title",
                "summary",
                "body",
                "topic",
                "province",
                "withdraw_at"
            ]
        );
    }

    #[test]
    fn markdown_is_rendered_and_nothing_can_run_or_fetch() {
        let html = render(
            "# Titolo\n\nUn **evento** a [Firenze](https://www.comune.fi.it).\n\n\
             <script>alert(1)</script>\n\n[x](javascript:alert(2))\n\n\
             <a href=\"#\" onclick=\"steal()\">y</a>\n\n![foto](https://tracker.example/p.gif)",
        );
        assert!(html.contains("<h1>Titolo</h1>"));
        assert!(html.contains("<strong>evento</strong>"));
        assert!(html.contains("href=\"https://www.comune.fi.it\""));
        assert!(html.contains("rel=\"noopener noreferrer\""));
        for bad in [
            "<script",
            "alert(1)",
            "javascript:",
            "onclick",
            "<img",
            "tracker.example",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }
}
