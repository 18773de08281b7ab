//! Reminders: what is due on a person's desk, computed from the records themselves (issue 25).
//! `rules` holds the deadline engine's plain rules; [`due_for`] applies them to what the
//! person's roles and organisation see: a case worker's permits, consents, referrals waiting
//! for an answer and inactive cases; an evaluator's projects waiting for a decision; the
//! hotline's untriaged public reports. Nothing is stored: the list is the records' own state,
//! so what is done disappears by itself. Thresholds: `[reminders]` (docs/REMINDERS.md).

pub mod rules;

use crate::platform::policy::{Actor, Permission, Role};
use crate::platform::time::{rome_date, rome_today};
use crate::platform::web::{AppError, SharedState};
use rules::Due;

/// One due item on a desk: what, the record it is about (a link and its pseudonymous code
/// or number), and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub due: Due,
    pub href: String,
    pub record: String,
}

/// Everything due for the actor, the latest first (overdue before what is coming).
pub async fn due_for(state: &SharedState, actor: &Actor) -> Result<Vec<Item>, AppError> {
    let t = state.config.reminders;
    let today = rome_today();
    let mut items = Vec::new();
    if let Some(org) = actor.organisation_id
        && actor.roles.contains(&Role::CaseWorker)
    {
        use crate::cases::store;
        let cases = store::cases_for_org(&state.db, org).await?;
        let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
        let people = store::people_by_id(
            &state.db,
            &cases.iter().map(|c| c.person_id).collect::<Vec<_>>(),
        )
        .await?;
        let code = |case_id: i32| {
            cases
                .iter()
                .find(|c| c.id == case_id)
                .and_then(|c| people.get(&c.person_id))
                .map(|p| p.code.clone())
                .unwrap_or_default()
        };
        let horizon = today + chrono::Duration::days(t.permit_days);
        let long_ago = today - chrono::Duration::days(3660);
        for p in store::permits_expiring(&state.db, &ids, long_ago, horizon).await? {
            if let Some(due) = rules::permit(&p.status, p.expires_on, today, &t) {
                items.push(Item {
                    due,
                    href: format!("/cases/{}#permit-{}", p.case_id, p.id),
                    record: code(p.case_id),
                });
            }
        }
        let consents_until = today + chrono::Duration::days(t.consent_days);
        for k in store::consents_expiring(&state.db, &ids, today, consents_until).await? {
            if let Some(due) = rules::consent(k.expires_on, k.withdrawn_on.is_some(), today, &t) {
                items.push(Item {
                    due,
                    href: format!("/cases/{}#h-consents", k.case_id),
                    record: code(k.case_id),
                });
            }
        }
        for c in cases.iter().filter(|c| c.owner_org == org) {
            if let Some(due) = rules::inactive(
                c.closed_at.is_some(),
                rome_date(c.last_activity_at),
                today,
                &t,
            ) {
                items.push(Item {
                    due,
                    href: format!("/cases/{}", c.id),
                    record: code(c.id),
                });
            }
        }
        for r in crate::referrals::store::for_org(&state.db, org).await? {
            if r.receiver_org != Some(org) {
                continue;
            }
            if let Some(due) = rules::referral(&r.status, rome_date(r.created_at), today, &t) {
                items.push(Item {
                    due,
                    href: format!("/referrals/{}", r.id),
                    record: format!("#{}", r.id),
                });
            }
        }
    }
    if actor.can(Permission::EvaluateProjects) {
        use crate::projects::store;
        for p in store::for_evaluation(&state.db).await? {
            if p.status != "submitted" {
                continue;
            }
            let submitted = store::transitions(&state.db, p.id)
                .await?
                .into_iter()
                .filter(|x| x.to_status == "submitted")
                .map(|x| x.at)
                .max()
                .unwrap_or(p.created_at);
            if let Some(due) = rules::project(&p.status, rome_date(submitted), today, &t) {
                items.push(Item {
                    due,
                    href: format!("/projects/{}", p.id),
                    record: format!("#{}", p.id),
                });
            }
        }
    }
    if actor.can(Permission::Hotline)
        && crate::platform::policy::may_read_public_reports(
            actor,
            &crate::reports::readers(state).await?,
        )
    {
        for r in crate::reports::store::page(&state.db, Some("new"), 500, None).await? {
            if let Some(due) = rules::report(&r.status, r.received_on, today) {
                items.push(Item {
                    due,
                    href: format!("/reports/{}", r.id),
                    record: format!("#{}", r.id),
                });
            }
        }
    }
    // The most overdue first; then by kind (expired permits before others).
    items.sort_by(|a, b| {
        b.due
            .late_days
            .cmp(&a.due.late_days)
            .then(a.due.kind.cmp(&b.due.kind))
    });
    Ok(items)
}
