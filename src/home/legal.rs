//! The pages every Italian public service links from its footer: the privacy notice (GDPR
//! art. 13–14), the legal notes, and the accessibility statement (Law 4/2004 and AgID's
//! guidelines, with its feedback mechanism). Public, in Italian and English; what an
//! installation must state (controller, DPO, accessibility contact, review date) comes from
//! `[legal]` in the configuration.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;

use crate::platform::config::Legal;
use crate::platform::web::{SharedState, Shell};

/// One section of a legal page: a heading, its paragraphs, and at most one link.
pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub paragraphs: Vec<String>,
    pub link: Option<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "home/templates/legal.html")]
pub struct LegalPage {
    pub shell: Shell,
    pub title: String,
    pub intro: String,
    pub sections: Vec<Section>,
}

/// A contact as a link: an e-mail address becomes `mailto:`, a web address stays as it is.
pub fn contact_href(contact: &str) -> String {
    if contact.starts_with("https://") || contact.starts_with("http://") {
        contact.to_owned()
    } else {
        format!("mailto:{contact}")
    }
}

fn section(
    shell: &Shell,
    id: &'static str,
    keys: &[&str],
    args: &[(&str, &str)],
    link: Option<(String, String)>,
) -> Section {
    Section {
        id,
        title: shell.lang.t_args(&format!("legal-{id}-title"), args),
        paragraphs: keys
            .iter()
            .map(|k| shell.lang.t_args(&format!("legal-{id}-{k}"), args))
            .collect(),
        link,
    }
}

pub fn privacy_page(shell: Shell, legal: &Legal, report_days: u64) -> LegalPage {
    let days = report_days.to_string();
    let args = [
        ("controller", legal.controller.as_str()),
        ("days", days.as_str()),
    ];
    let dpo = match &legal.dpo_contact {
        Some(c) => section(
            &shell,
            "dpo",
            &["text"],
            &args,
            Some((contact_href(c), c.clone())),
        ),
        None => section(&shell, "dpo", &["unset"], &args, None),
    };
    LegalPage {
        title: shell.t("legal-privacy-title"),
        intro: shell.lang.t_args("legal-privacy-intro", &args),
        sections: vec![
            section(&shell, "controller", &["text"], &args, None),
            dpo,
            section(&shell, "purposes", &["text", "basis"], &args, None),
            section(&shell, "report", &["text", "receipt", "keep"], &args, None),
            section(&shell, "recipients", &["text"], &args, None),
            section(&shell, "retention", &["text"], &args, None),
            section(&shell, "rights", &["text", "complaint"], &args, None),
        ],
        shell,
    }
}

pub fn legal_notes_page(shell: Shell, legal: &Legal) -> LegalPage {
    let args = [("controller", legal.controller.as_str())];
    LegalPage {
        title: shell.t("legal-notes-title"),
        intro: shell.lang.t_args("legal-notes-intro", &args),
        sections: vec![
            section(&shell, "content", &["text"], &args, None),
            section(
                &shell,
                "software",
                &["text"],
                &args,
                Some((
                    "https://interoperable-europe.ec.europa.eu/collection/eupl".into(),
                    "EUPL-1.2".into(),
                )),
            ),
            section(&shell, "links", &["text"], &args, None),
            section(&shell, "cookies", &["text"], &args, None),
        ],
        shell,
    }
}

pub fn accessibility_page(shell: Shell, legal: &Legal) -> LegalPage {
    let reviewed = legal
        .accessibility_reviewed
        .map(|d| d.format("%d/%m/%Y").to_string());
    let args = [
        ("controller", legal.controller.as_str()),
        ("reviewed", reviewed.as_deref().unwrap_or("")),
    ];
    let feedback = match &legal.accessibility_contact {
        Some(c) => section(
            &shell,
            "feedback",
            &["text"],
            &args,
            Some((contact_href(c), c.clone())),
        ),
        None => section(&shell, "feedback", &["unset"], &args, None),
    };
    let preparation = if reviewed.is_some() {
        section(&shell, "preparation", &["text", "reviewed"], &args, None)
    } else {
        section(&shell, "preparation", &["text"], &args, None)
    };
    LegalPage {
        title: shell.t("legal-accessibility-title"),
        intro: shell.lang.t_args("legal-accessibility-intro", &args),
        sections: vec![
            section(&shell, "status", &["text"], &args, None),
            section(&shell, "limits", &["text"], &args, None),
            preparation,
            feedback,
            section(
                &shell,
                "enforcement",
                &["text"],
                &args,
                Some((
                    "https://form.agid.gov.it/".into(),
                    shell.t("legal-enforcement-link"),
                )),
            ),
        ],
        shell,
    }
}

pub async fn privacy(State(state): State<SharedState>, shell: Shell) -> LegalPage {
    privacy_page(
        shell,
        &state.config.legal,
        state.config.report_retention_days,
    )
}

pub async fn legal_notes(State(state): State<SharedState>, shell: Shell) -> LegalPage {
    legal_notes_page(shell, &state.config.legal)
}

pub async fn accessibility(State(state): State<SharedState>, shell: Shell) -> LegalPage {
    accessibility_page(shell, &state.config.legal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_a_mail_or_a_web_link() {
        assert_eq!(
            contact_href("dpo@regione.toscana.it"),
            "mailto:dpo@regione.toscana.it"
        );
        assert_eq!(
            contact_href("https://www.regione.toscana.it/privacy"),
            "https://www.regione.toscana.it/privacy"
        );
    }
}
