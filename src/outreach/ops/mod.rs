//! The outreach area's operations served alike by the pages and the API: an accompaniment by
//! a street unit or a drop-in desk. The operation checks the typed input with [`rules`],
//! writes the record and its audit entry in one transaction and answers with what was saved
//! or an [`OutreachOpError`]; pages and API only parse.

mod records;

pub use records::*;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, TransactionTrait};

use super::rules;
use super::store::{self, Saved};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::Actor;
use crate::platform::web::{AppError, SharedState};

/// Why an outreach operation did not happen.
#[derive(Debug)]
pub enum OutreachOpError {
    /// A field is wrong: its message key and the field.
    Invalid {
        key: &'static str,
        field: &'static str,
    },
    Failed(AppError),
}

impl OutreachOpError {
    /// The message key a person reads.
    pub fn message_key(&self) -> &'static str {
        match self {
            OutreachOpError::Invalid { key, .. } => key,
            OutreachOpError::Failed(_) => "error-title-server",
        }
    }
}

impl From<sea_orm::DbErr> for OutreachOpError {
    fn from(e: sea_orm::DbErr) -> Self {
        OutreachOpError::Failed(e.into())
    }
}

/// A person accompanied to a service by a street unit or a drop-in desk, as typed on the
/// unit's page or sent by its phone.
#[derive(Clone, Debug)]
pub struct UnitAccompaniment {
    pub happened_on: NaiveDate,
    /// One of [`rules::SERVICE_KINDS`].
    pub service_kind: String,
    /// One of [`rules::ACCOMPANIMENT_OUTCOMES`].
    pub outcome: String,
    /// `street_unit` or `drop_in`.
    pub source: String,
    /// The anonymous code of the person, when one was given: the same code is the same
    /// person across outings, interviews and accompaniments.
    pub contact_code: Option<String>,
    /// Recording it again with this key saves nothing twice.
    pub idempotency_key: String,
}

/// The sources a unit's accompaniment may name.
pub const UNIT_SOURCES: &[&str] = &["street_unit", "drop_in"];

/// Checks an accompaniment against the rules: the first wrong field, with its message key.
pub fn check_accompaniment(
    a: &UnitAccompaniment,
    today: NaiveDate,
) -> Result<(), (&'static str, &'static str)> {
    rules::check_accompaniment(
        a.happened_on,
        &a.service_kind,
        &a.outcome,
        &a.idempotency_key,
        today,
    )?;
    if !UNIT_SOURCES.contains(&a.source.as_str()) {
        return Err(("error-400", "source"));
    }
    if let Some(code) = &a.contact_code {
        rules::contact_code(code).map_err(|k| (k, "contact_code"))?;
    }
    Ok(())
}

/// Records a unit's accompaniment for the organisation, once per key; filed under the case
/// of the person the anonymous code was linked to, if any. The audit entry is written with
/// the record, and only when it is new, in the caller's transaction `txn`.
pub async fn accompany<C: ConnectionTrait + TransactionTrait>(
    state: &SharedState,
    txn: &C,
    actor: &Actor,
    org: i32,
    input: &UnitAccompaniment,
) -> Result<Saved, OutreachOpError> {
    check_accompaniment(input, crate::platform::time::rome_today())
        .map_err(|(key, field)| OutreachOpError::Invalid { key, field })?;
    let contact = match &input.contact_code {
        Some(raw) => {
            let code = rules::contact_code(raw).map_err(|key| OutreachOpError::Invalid {
                key,
                field: "contact_code",
            })?;
            Some(store::contact_for_code(txn, org, &code).await?)
        }
        None => None,
    };
    let saved = super::record_accompaniment(
        txn,
        super::NewAccompaniment {
            organisation_id: org,
            happened_on: input.happened_on,
            service_kind: input.service_kind.clone(),
            outcome: input.outcome.clone(),
            source: if input.source == "drop_in" {
                "drop_in"
            } else {
                "street_unit"
            },
            contact_id: contact.as_ref().map(|c| c.id),
            case_id: contact.and_then(|c| c.case_id),
            hotline_contact_id: None,
            by_user: actor.user_id,
            idempotency_key: input.idempotency_key.clone(),
        },
    )
    .await?;
    if let Saved::Created(id) = saved {
        audit::append(
            txn,
            &state.keys,
            Entry::new(Some(actor), "outreach.accompaniment", "accompaniment").record(id),
        )
        .await?;
    }
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn valid() -> UnitAccompaniment {
        UnitAccompaniment {
            happened_on: day("2026-03-01"),
            service_kind: "health".into(),
            outcome: "done".into(),
            source: "street_unit".into(),
            contact_code: Some("LUNA-23".into()),
            idempotency_key: "acc-12345678".into(),
        }
    }

    #[test]
    fn an_accompaniment_is_checked_field_by_field() {
        let today = day("2026-03-01");
        assert_eq!(check_accompaniment(&valid(), today), Ok(()));
        let future = UnitAccompaniment {
            happened_on: day("2026-03-02"),
            ..valid()
        };
        assert_eq!(
            check_accompaniment(&future, today),
            Err(("outreach-error-future", "happened_on"))
        );
        let hotline = UnitAccompaniment {
            source: "hotline".into(),
            ..valid()
        };
        assert_eq!(
            check_accompaniment(&hotline, today).map_err(|e| e.1),
            Err("source"),
            "the hotline records its own, from the call"
        );
        let short_key = UnitAccompaniment {
            idempotency_key: "abc".into(),
            ..valid()
        };
        assert_eq!(
            check_accompaniment(&short_key, today).map_err(|e| e.1),
            Err("idempotency_key")
        );
        let bad_code = UnitAccompaniment {
            contact_code: Some("no spaces allowed!".into()),
            ..valid()
        };
        assert_eq!(
            check_accompaniment(&bad_code, today).map_err(|e| e.1),
            Err("contact_code")
        );
    }
}
