//! Drop-in interviews and accompaniments recorded by the unit.

use super::*;

/// Reads a drop-in interview's form into the draft the area's operations check. Nothing is
/// written: an anonymous code the unit has not used yet becomes a contact only when the
/// interview is saved, so a refused form leaves nothing behind.
pub(super) fn read_interview(
    f: &Fields,
) -> (
    crate::outreach::ops::InterviewDraft,
    Vec<(&'static str, &'static str)>,
) {
    let mut problems = Vec::new();
    let held_on = f.required_date("held_on").unwrap_or_else(|k| {
        problems.push(("held_on", k));
        crate::platform::time::rome_today()
    });
    let draft = crate::outreach::ops::InterviewDraft {
        service_id: f.get("service_id").parse().ok(),
        held_on,
        itinerant: f.checked("itinerant"),
        contact_code: f.opt("contact_code"),
        person_code: f.opt("person_code"),
        mediator: f.get("mediator"),
        language: f.opt("language"),
        topics: f.all("topics"),
        outcome: f.get("outcome"),
        idempotency_key: f.get("idempotency_key"),
    };
    (draft, problems)
}

/// `POST /outreach/interviews`: an interview at a drop-in desk, with an anonymous code or with
/// a person the organisation has a case for. Every problem is shown at once beside its field,
/// with what was typed kept.
pub async fn create_interview(
    State(state): State<SharedState>,
    shell: Shell,
    body: Bytes,
) -> Result<Response, AppError> {
    let (me, org) = staff(&shell)?;
    let f = Fields::parse(&body);
    let (draft, mut problems) = read_interview(&f);
    let checked =
        crate::outreach::ops::interview_problems(&state, org, me.actor.user_id, &draft).await;
    let new = match checked {
        Ok(n) if problems.is_empty() => n,
        Ok(_) => return interview_refused(&state, shell, f.values(), problems).await,
        Err(more) => {
            for p in more {
                // A date that could not be read is not also "in the future".
                if !problems.iter().any(|(field, _)| *field == p.0) {
                    problems.push(p);
                }
            }
            return interview_refused(&state, shell, f.values(), problems).await;
        }
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
