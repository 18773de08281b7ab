//! `/stats/definizioni`: what every figure of the activity report counts, in words a reader of
//! the published report understands (the same definitions the report shows beside its
//! figures), and the rules every figure follows. Public: definitions identify no one.

use askama::Template;
use askama_web::WebTemplate;

use crate::platform::web::Shell;

/// The activity report's figures, in the report's order.
pub const FIGURES: &[&str] = &[
    "hotline_cases",
    "hotline_other_calls",
    "street_unit_contacts",
    "drop_in_interviews",
    "emergency_reception",
    "protection_programmes",
    "accompaniments",
];

/// The rules all figures follow, as message keys.
const RULES: &[&str] = &[
    "stats-def-rule-period",
    "stats-def-rule-small",
    "stats-def-rule-province",
    "stats-def-rule-unknown",
    "stats-def-rule-ages",
    "stats-def-rule-training",
];

pub struct Definition {
    pub id: String,
    pub name: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "stats/templates/definitions.html")]
pub struct DefinitionsPage {
    pub shell: Shell,
    pub figures: Vec<Definition>,
    pub rules: Vec<String>,
}

pub async fn page(shell: Shell) -> DefinitionsPage {
    let figures = FIGURES
        .iter()
        .map(|f| {
            let key = f.replace('_', "-");
            Definition {
                id: key.clone(),
                name: shell.t(&format!("figure-{key}")),
                text: shell.t(&format!("figure-def-{key}")),
            }
        })
        .collect();
    DefinitionsPage {
        rules: RULES.iter().map(|k| shell.t(k)).collect(),
        figures,
        shell,
    }
}
