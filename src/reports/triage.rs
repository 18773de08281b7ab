//! Triage of a public report by the hotline: into a hotline contact (which the report then
//! links to), a duplicate of another report, or not pertinent.
//!
//! A report is triaged once. The rule is [`decide`], a plain function; [`apply`] writes the
//! decision for the pages and the API alike, in one transaction with its audit entry and, for
//! a contact, the new hotline contact. The report changes state only if it is still new when
//! the transaction writes, so two operators triaging the same report at once cannot both
//! succeed (the second is told, and no second contact is left behind).

use sea_orm::ActiveValue::Set;
use sea_orm::{DbErr, TransactionTrait};

use super::entities::report;
use super::store;
use crate::platform::audit::{self, Entry};
use crate::platform::policy::Actor;
use crate::platform::web::SharedState;

/// What can be decided about a report.
pub const OUTCOMES: &[&str] = &["contact", "duplicate", "not_pertinent"];

/// A triage decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Triage {
    /// Becomes a hotline contact of the operator's organisation.
    Contact,
    /// The same facts as the report with this number.
    Duplicate(i32),
    NotPertinent,
}

impl Triage {
    pub fn status(self) -> &'static str {
        match self {
            Triage::Contact => "contact",
            Triage::Duplicate(_) => "duplicate",
            Triage::NotPertinent => "not_pertinent",
        }
    }
}

/// Why a triage was refused.
#[derive(Debug)]
pub enum TriageError {
    /// The request is wrong: the message key says why.
    Invalid(&'static str),
    /// The report was triaged already (perhaps a moment ago, by someone else).
    AlreadyTriaged,
    Db(DbErr),
}

impl From<DbErr> for TriageError {
    fn from(e: DbErr) -> Self {
        TriageError::Db(e)
    }
}

impl TriageError {
    /// The message key shown to the operator.
    pub fn message_key(&self) -> &'static str {
        match self {
            TriageError::Invalid(k) => k,
            TriageError::AlreadyTriaged => "reports-error-triaged",
            TriageError::Db(_) => "error-500",
        }
    }
}

/// The report's version for optimistic concurrency: 1 while new, 2 once triaged (triage is
/// the only change a report undergoes; replies are messages beside it).
pub fn version(r: &report::Model) -> i32 {
    if r.status == "new" { 1 } else { 2 }
}

/// The decision asked for, checked against the report's state. `duplicate_of` is the other
/// report's number; whether it exists is for [`apply`] to find.
pub fn decide(
    r: &report::Model,
    outcome: &str,
    duplicate_of: Option<i32>,
) -> Result<Triage, TriageError> {
    let t = match outcome {
        "contact" => Triage::Contact,
        "not_pertinent" => Triage::NotPertinent,
        "duplicate" => {
            let other = duplicate_of
                .filter(|&d| d != r.id && d > 0)
                .ok_or(TriageError::Invalid("reports-error-duplicate"))?;
            Triage::Duplicate(other)
        }
        _ => return Err(TriageError::Invalid("error-400")),
    };
    if r.status != "new" {
        return Err(TriageError::AlreadyTriaged);
    }
    Ok(t)
}

/// The hotline's forms of exploitation for the kinds the reporter ticked.
pub fn exploitation_forms(kinds: &str) -> Vec<&'static str> {
    crate::platform::codes::iter(kinds)
        .filter_map(|k| match k {
            "sexual" => Some("sexual"),
            "labour" => Some("labour"),
            "begging" => Some("begging"),
            "crime" => Some("forced_criminality"),
            "marriage" => Some("forced_marriage"),
            "other" => Some("other"),
            _ => None,
        })
        .collect()
}

/// Writes the decision: the hotline contact (for [`Triage::Contact`], in `org`, the actor's
/// organisation), the report's new state (only if it is still new) and the audit entry, in one
/// transaction. Returns the report as it now is.
pub async fn apply(
    state: &SharedState,
    (actor, org): (&Actor, i32),
    r: &report::Model,
    t: Triage,
    reason_suffix: Option<&str>,
) -> Result<report::Model, TriageError> {
    if let Triage::Duplicate(other) = t
        && store::get(&state.db, other).await?.is_none()
    {
        return Err(TriageError::Invalid("reports-error-duplicate"));
    }
    let txn = state.db.begin().await?;
    let contact = match t {
        Triage::Contact => {
            let mut c = crate::hotline::ops::new_contact(org, actor.user_id, "pertinent");
            c.channel = Set("public_report".into());
            c.language = Set(Some(r.language.to_uppercase()));
            c.caller_ref = Set(Some(format!("SEGNALA-{}", r.id)));
            c.reasons = Set("report_of_exploitation".into());
            c.exploitation_forms = Set(crate::platform::codes::join(&exploitation_forms(&r.kinds)));
            c.province = Set(r.province.clone());
            let saved = crate::hotline::ops::record_contact(
                state,
                &txn,
                actor,
                c,
                crate::hotline::rules::Situation::Unsaid,
                Some("public report"),
            )
            .await
            .map_err(|e| match e {
                crate::hotline::ops::HotlineOpError::Failed(_) => {
                    TriageError::Db(DbErr::Custom("saving the contact".into()))
                }
                other => TriageError::Invalid(other.message_key()),
            })?;
            Some(saved.id)
        }
        _ => None,
    };
    let duplicate_of = match t {
        Triage::Duplicate(other) => Some(other),
        _ => None,
    };
    if !store::triage(&txn, r.id, t.status(), contact, duplicate_of).await? {
        // Someone else triaged it first: their contact stands, ours is undone.
        txn.rollback().await?;
        return Err(TriageError::AlreadyTriaged);
    }
    let reason = match reason_suffix {
        Some(s) => format!("{} ({s})", t.status()),
        None => t.status().to_owned(),
    };
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "report.triage", "public_report")
            .record(r.id)
            .reason(reason),
    )
    .await?;
    txn.commit().await?;
    store::get(&state.db, r.id)
        .await?
        .ok_or(TriageError::Db(DbErr::RecordNotFound(
            "public_report".into(),
        )))
}

/// Writes a reply to the reporter (sealed; the reporter reads it with their receipt), with its
/// audit entry, in the caller's transaction. The caller has decided that the actor may read
/// public reports.
pub async fn reply<C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    id: i32,
    text: &str,
) -> Result<(), TriageError> {
    store::get(&state.db, id)
        .await?
        .ok_or(TriageError::Invalid("error-404"))?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 5000 {
        return Err(TriageError::Invalid("network-error-required"));
    }
    let sealed = state
        .keys
        .encrypt_str(store::MESSAGE, text)
        .map_err(|_| TriageError::Db(DbErr::Custom("sealing a reply".into())))?;
    store::add_message(
        txn,
        super::entities::message::ActiveModel {
            report_id: Set(id),
            from_reporter: Set(false),
            at: Set(chrono::Utc::now()),
            text_enc: Set(Some(sealed)),
            by_user: Set(Some(actor.user_id)),
            ..Default::default()
        },
    )
    .await?;
    audit::append(
        txn,
        &state.keys,
        Entry::new(Some(actor), "report.reply", "public_report")
            .record(id)
            .subject(format!("report:{id}")),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A report as the form saves it (shared with the queue's tests).
    pub(crate) fn report(status: &str) -> report::Model {
        report::Model {
            id: 7,
            received_on: chrono::NaiveDate::default(),
            language: "it".into(),
            province: None,
            urgency: "normal".into(),
            people: None,
            minors: "unknown".into(),
            kinds: "labour,crime,unknown_kind".into(),
            anonymous: true,
            status: status.into(),
            triage_contact_id: None,
            duplicate_of: None,
            triaged_at: None,
            receipt_lookup: String::new(),
            receipt_hash: String::new(),
            submission_hash: String::new(),
            what_enc: None,
            place_enc: None,
            since_enc: None,
            gender_enc: None,
            contact_enc: None,
        }
    }

    #[test]
    fn a_new_report_takes_each_outcome_once() {
        let r = report("new");
        assert_eq!(decide(&r, "contact", None).ok(), Some(Triage::Contact));
        assert_eq!(
            decide(&r, "not_pertinent", None).ok(),
            Some(Triage::NotPertinent)
        );
        assert_eq!(
            decide(&r, "duplicate", Some(3)).ok(),
            Some(Triage::Duplicate(3))
        );
        for status in ["contact", "duplicate", "not_pertinent"] {
            for outcome in OUTCOMES {
                assert!(matches!(
                    decide(&report(status), outcome, Some(3)),
                    Err(TriageError::AlreadyTriaged)
                ));
            }
        }
        assert_eq!(version(&r), 1);
        assert_eq!(version(&report("duplicate")), 2);
    }

    #[test]
    fn a_duplicate_names_another_report_and_outcomes_are_known() {
        let r = report("new");
        for bad in [None, Some(7), Some(-2), Some(0)] {
            assert_eq!(
                decide(&r, "duplicate", bad).err().map(|e| e.message_key()),
                Some("reports-error-duplicate"),
                "{bad:?}"
            );
        }
        assert_eq!(
            decide(&r, "escalate", None).err().map(|e| e.message_key()),
            Some("error-400")
        );
    }

    #[test]
    fn reported_kinds_become_the_hotlines_forms_of_exploitation() {
        assert_eq!(
            exploitation_forms("labour,crime,unknown_kind"),
            vec!["labour", "forced_criminality"]
        );
        assert!(exploitation_forms("").is_empty());
    }
}
