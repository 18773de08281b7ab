//! Drop-in interviews and accompaniments recorded by the unit.

use super::*;

/// Reads a drop-in interview's form into the draft the area's operations check. Nothing is
/// written: an anonymous code the unit has not used yet becomes a contact only when the
/// interview is saved, so a refused form leaves nothing behind.
pub(super) fn read_interview(
    f: &Fields,
) -> Result<crate::outreach::ops::InterviewDraft, &'static str> {
    Ok(crate::outreach::ops::InterviewDraft {
        service_id: f.get("service_id").parse().ok(),
        held_on: f.required_date("held_on")?,
        itinerant: f.checked("itinerant"),
        contact_code: f.opt("contact_code"),
        person_code: f.opt("person_code"),
        mediator: f.get("mediator"),
        language: f.opt("language"),
        topics: f.all("topics"),
        outcome: f.get("outcome"),
        idempotency_key: f.get("idempotency_key"),
    })
}

/// `POST /outreach/interviews`: an interview at a drop-in desk, with an anonymous code or with
/// a person the organisation has a case for.
pub async fn create_interview(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let checked = match read_interview(&f) {
        Ok(draft) => {
            crate::outreach::ops::check_interview(&state, org, me.actor.user_id, &draft).await
        }
        Err(k) => Err(k),
    };
    let new = match checked {
        Ok(n) => n,
        Err(k) => return invalid(&state, shell, k).await,
    };
    let txn = state.db.begin().await?;
    let saved = crate::outreach::ops::record_interview(&state, &txn, &me.actor, new, None).await?;
    txn.commit().await?;
    Ok(match saved {
        Saved::Created(_) => Redirect::to("/outreach?saved=1"),
        Saved::AlreadySaved(_) => Redirect::to("/outreach?saved=duplicate"),
    }
    .into_response())
}

/// `POST /outreach/accompaniments`: a person accompanied to a service.
pub async fn create_accompaniment(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let on = match f.required_date("happened_on") {
        Ok(d) => d,
        Err(k) => return invalid(&state, shell, k).await,
    };
    let input = crate::outreach::ops::UnitAccompaniment {
        happened_on: on,
        service_kind: f.get("service_kind"),
        outcome: f.get("outcome"),
        source: f.get("source"),
        contact_code: f.opt("contact_code"),
        idempotency_key: f.get("idempotency_key"),
    };
    let txn = state.db.begin().await?;
    let saved = crate::outreach::ops::accompany(&state, &txn, &me.actor, org, &input).await;
    match saved {
        Ok(saved) => {
            txn.commit().await?;
            Ok(match saved {
                Saved::Created(_) => Redirect::to("/outreach?saved=1"),
                Saved::AlreadySaved(_) => Redirect::to("/outreach?saved=duplicate"),
            }
            .into_response())
        }
        Err(crate::outreach::ops::OutreachOpError::Failed(e)) => Err(e),
        Err(e) => invalid(&state, shell, e.message_key()).await,
    }
}
