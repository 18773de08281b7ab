//! Reminders: what is due on a person's desk, computed from the records themselves (issue 25).
//! `rules` holds the deadline engine's plain rules; [`due_for`] applies them to what the
//! person's roles and organisation see: a case worker's permits, consents, referrals waiting
//! for an answer and inactive cases; an evaluator's projects waiting for a decision; the
//! hotline's untriaged public reports. Nothing is stored: the list is the records' own state,
//! so what is done disappears by itself. Thresholds: `[reminders]` (docs/REMINDERS.md).

pub mod notify;
pub mod ops;
pub mod pages;
pub mod rules;
pub mod store;

use crate::platform::policy::{Actor, Permission, Role};
use crate::platform::time::{rome_date, rome_today};
use crate::platform::web::routes::{Access, Routes};
use crate::platform::web::{AppError, SharedState};
use rules::Due;

pub fn routes() -> Routes {
    Routes::new()
        .get("/reminders", Access::SignedIn, pages::inbox)
        .post("/reminders/mark", Access::SignedIn, pages::mark)
        .get(
            "/reminders/team",
            Access::Permission(Permission::TeamInbox),
            pages::team,
        )
}

/// How an item's timing reads: late by so many days, or due on a day.
pub fn when(shell: &crate::platform::web::Shell, d: &Due) -> String {
    if d.late_days > 0 {
        shell.t1("reminder-late", "days", &d.late_days.to_string())
    } else {
        shell.t1("reminder-on", "date", &d.on.format("%d/%m/%Y").to_string())
    }
}

/// One due item on a desk: what, the record it is about (a link and its pseudonymous code
/// or number), and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub due: Due,
    pub href: String,
    pub record: String,
    /// Who handed it over to this person, if someone did.
    pub handed_by: Option<String>,
}

impl Item {
    fn new(due: Due, href: String, record: String) -> Item {
        Item {
            due,
            href,
            record,
            handed_by: None,
        }
    }

    /// The item's identity across requests and desks: its kind, its record's page and its
    /// day (ids and dates only). A renewed permit or a new expiry is a new item.
    pub fn key(&self) -> String {
        format!("{}|{}|{}", self.due.kind.code(), self.href, self.due.on)
    }
}

/// Everything due for the actor, the latest first (overdue before what is coming): what the
/// records say is due, less what the organisation marked done, snoozed to a later day or
/// handed over to someone else; what was handed over to the actor says by whom.
pub async fn due_for(state: &SharedState, actor: &Actor) -> Result<Vec<Item>, AppError> {
    let mut items = compute(state, actor).await?;
    let Some(org) = actor.organisation_id else {
        return Ok(items);
    };
    let marks = store::marks_of(&state.db, org).await?;
    if marks.is_empty() {
        return Ok(items);
    }
    let today = rome_today();
    let by_key: std::collections::HashMap<&str, &store::mark::Model> =
        marks.iter().map(|m| (m.item_key.as_str(), m)).collect();
    let mut kept = Vec::with_capacity(items.len());
    for mut item in items.drain(..) {
        match by_key.get(item.key().as_str()) {
            None => kept.push(item),
            Some(m) => {
                if rules::shows_for(&m.state, m.until, m.assignee_id, actor.user_id, today) {
                    if m.state == "handed_over" {
                        item.handed_by =
                            crate::identity::username_of(&state.db, m.by_user_id).await?;
                    }
                    kept.push(item);
                }
            }
        }
    }
    Ok(kept)
}

/// Everything the records say is due for someone with the actor's roles and organisation,
/// whatever anyone marked.
pub async fn compute(state: &SharedState, actor: &Actor) -> Result<Vec<Item>, AppError> {
    let t = state.config.reminders;
    let today = rome_today();
    let mut items = Vec::new();
    if let Some(org) = actor.organisation_id
        && actor.roles.contains(&Role::CaseWorker)
    {
        let cases = crate::cases::cases_for_org(&state.db, org).await?;
        let ids: Vec<i32> = cases.iter().map(|c| c.id).collect();
        let people = crate::cases::people_by_id(
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
        for p in crate::cases::permits_expiring(&state.db, &ids, long_ago, horizon).await? {
            if let Some(due) = rules::permit(&p.status, p.expires_on, today, &t) {
                items.push(Item::new(
                    due,
                    format!("/cases/{}#permit-{}", p.case_id, p.id),
                    code(p.case_id),
                ));
            }
        }
        let consents_until = today + chrono::Duration::days(t.consent_days);
        for k in crate::cases::consents_expiring(&state.db, &ids, today, consents_until).await? {
            if let Some(due) = rules::consent(k.expires_on, k.withdrawn_on.is_some(), today, &t) {
                items.push(Item::new(
                    due,
                    format!("/cases/{}#h-consents", k.case_id),
                    code(k.case_id),
                ));
            }
        }
        for c in cases.iter().filter(|c| c.owner_org == org) {
            if let Some(due) = rules::inactive(
                c.closed_at.is_some(),
                rome_date(c.last_activity_at),
                today,
                &t,
            ) {
                items.push(Item::new(due, format!("/cases/{}", c.id), code(c.id)));
            }
        }
        for r in crate::referrals::referrals_of_org(&state.db, org).await? {
            if r.receiver_org != Some(org) {
                continue;
            }
            if let Some(due) = rules::referral(&r.status, rome_date(r.created_at), today, &t) {
                items.push(Item::new(
                    due,
                    format!("/referrals/{}", r.id),
                    format!("#{}", r.id),
                ));
            }
        }
    }
    if actor.can(Permission::EvaluateProjects) {
        for p in crate::projects::for_evaluation(&state.db).await? {
            if p.status != "submitted" {
                continue;
            }
            let submitted = crate::projects::transitions(&state.db, p.id)
                .await?
                .into_iter()
                .filter(|x| x.to_status == "submitted")
                .map(|x| x.at)
                .max()
                .unwrap_or(p.created_at);
            if let Some(due) = rules::project(&p.status, rome_date(submitted), today, &t) {
                items.push(Item::new(
                    due,
                    format!("/projects/{}", p.id),
                    format!("#{}", p.id),
                ));
            }
        }
    }
    if let Some(org) = actor.organisation_id
        && actor.can(Permission::Hotline)
    {
        let now = chrono::Utc::now();
        for e in crate::hotline::open_emergencies(&state.db, org).await? {
            let handed = e.handed_over_to.is_some() || e.steps.contains("handed_over=");
            if let Some(due) = rules::emergency(e.started_at, handed, e.closed_at.is_some(), now) {
                items.push(Item::new(
                    due,
                    format!("/hotline#emergency-{}", e.id),
                    format!("#{}", e.id),
                ));
            }
        }
        let month = now - chrono::Duration::days(30);
        for c in crate::hotline::waiting_call_backs(&state.db, org, month).await? {
            if let Some(due) = rules::call_back(c.started_at, now, &t) {
                items.push(Item::new(
                    due,
                    format!("/hotline/contacts/{}", c.id),
                    format!("#{}", c.id),
                ));
            }
        }
        for m in crate::hotline::pending_mediators(&state.db, org).await? {
            let assigned = m.mediator_user_id.is_some();
            if let Some(due) = rules::mediator(&m.status, assigned, m.needed_at, now, &t) {
                items.push(Item::new(
                    due,
                    format!("/hotline#mediator-{}", m.id),
                    format!("#{}", m.id),
                ));
            }
        }
    }
    if actor.can(Permission::Hotline)
        && crate::platform::policy::may_read_public_reports(
            actor,
            &crate::reports::readers(state).await?,
        )
    {
        for r in crate::reports::untriaged_page(&state.db, 500, None).await? {
            if let Some(due) = rules::report(&r.status, r.received_on, today) {
                items.push(Item::new(
                    due,
                    format!("/reports/{}", r.id),
                    format!("#{}", r.id),
                ));
            }
        }
    }
    latest_first(&mut items);
    Ok(items)
}

/// The most overdue first; then by kind (emergencies and expired permits before others).
pub fn latest_first(items: &mut [Item]) {
    items.sort_by(|a, b| {
        b.due
            .late_days
            .cmp(&a.due.late_days)
            .then(a.due.kind.cmp(&b.due.kind))
    });
}
