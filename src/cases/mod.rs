//! People and cases: the taking in charge from emersion to autonomy.

pub mod api;
pub mod arrivals;
pub mod entities;
pub mod link_pages;
pub mod link_review;
pub mod linkage;
pub mod ops;
pub mod pages;
pub mod rules;
pub mod store;

pub use arrivals::{
    Arrival, ArrivedFacts, CaseWithIdentity, Consent, CountedCase, case_with_identity,
    close_on_transfer, counted_cases, open_arrived_case,
};
pub use store::{
    CaseError, Identity, NewPerson, cases_for_org, consents, consents_expiring, occupied_beds,
    occupied_beds_of, people_by_id, permits_expiring,
};

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};

use crate::platform::audit::{self, Entry};
use crate::platform::web::AppState;

use crate::platform::policy::Permission;
use crate::platform::web::routes::{Access, Routes};

/// Makes the linkage key of every person whose key is missing or was made under another
/// linkage secret (after `satis keys rotate`, all of them); how many were made.
pub async fn reencode_linkage_keys(
    db: &impl ConnectionTrait,
    keys: &crate::platform::crypto::KeyRing,
) -> Result<u64, DbErr> {
    linkage::reencode(db, keys).await
}

/// The reviewed links in force: (person, person, same person?), for the estimate.
pub async fn link_decisions(db: &impl ConnectionTrait) -> Result<Vec<(i32, i32, bool)>, DbErr> {
    link_review::decisions(db).await
}

/// The linkage keys of these people (those with an identity): what linking reads, never a
/// name.
pub async fn linkage_keys_of(
    db: &impl ConnectionTrait,
    people: &[i32],
) -> Result<Vec<(i32, crate::platform::linkage::Key)>, DbErr> {
    linkage::keys_of(db, people).await
}

pub fn routes() -> Routes {
    let work = Access::Permission(Permission::WorkOnRecords);
    // Sending a case to another organisation: only roles that may read what they send.
    let disclose = Access::Permission(Permission::Disclose);
    Routes::new()
        .get("/cases", work, pages::list)
        .get(
            "/cases/collegamenti",
            Access::Permission(Permission::ReviewLinks),
            link_pages::queue,
        )
        .post(
            "/cases/collegamenti",
            Access::Permission(Permission::ReviewLinks),
            link_pages::decide,
        )
        .post(
            "/cases/collegamenti/{id}/annulla",
            Access::Permission(Permission::ReviewLinks),
            link_pages::undo,
        )
        .get("/cases/new", work, pages::new_form)
        .post("/cases", work, pages::create)
        .get("/cases/{id}", work, pages::show)
        .post("/cases/{id}/phase", work, pages::change_phase)
        .post("/cases/{id}/assessment", work, pages::assessment)
        .post("/cases/{id}/consents", work, pages::add_consent)
        .post("/consents/{id}/withdraw", work, pages::withdraw_consent)
        .post("/cases/{id}/share", disclose, pages::share)
        .post("/cases/{id}/permits", work, pages::add_permit)
        .post("/permits/{id}/decision", work, pages::decide_permit)
        .post("/cases/{id}/person", work, pages::correct_person)
        .post("/cases/{id}/placements", work, pages::add_placement)
        .post("/placements/{id}/end", work, pages::end_placement)
        .post("/cases/{id}/events", work, pages::add_event)
}

/// The organisation that owns a case (the one that took the person in charge), if the case
/// exists: what another area checks before acting for the owner (e.g. writing a project).
pub async fn owner_of(db: &impl ConnectionTrait, case_id: i32) -> Result<Option<i32>, DbErr> {
    Ok(store::case(db, case_id).await?.map(|c| c.owner_org))
}

/// The pseudonymous code of the person of a case (never their identity), if the case exists:
/// how other areas name the person on their pages.
pub async fn person_code_of(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Option<String>, DbErr> {
    let Some(c) = store::case(db, case_id).await? else {
        return Ok(None);
    };
    Ok(store::person(db, c.person_id).await?.map(|p| p.code))
}

/// The case the organisation follows (owns or shares) for the person with this pseudonymous
/// code, the latest opened when there are several: what the street units and desks file an
/// interview or an anonymous contact under. Access to it is then decided by [`guard`].
pub async fn followed_case_of_person(
    db: &impl ConnectionTrait,
    org: i32,
    person_code: &str,
) -> Result<Option<i32>, DbErr> {
    let Some(person) = store::person_by_code(db, person_code).await? else {
        return Ok(None);
    };
    Ok(store::cases_for_org(db, org)
        .await?
        .into_iter()
        .filter(|k| k.person_id == person.id)
        .max_by_key(|k| k.opened_at)
        .map(|k| k.id))
}

/// What deciding on a case needs, read at once after the case itself: its person, the
/// resource the policy reads (owner and shares), the actor's emergency grant on it and, when
/// asked, the person's sealed identity row.
struct Loaded {
    case: entities::case::Model,
    person: entities::person::Model,
    resource: crate::platform::policy::Resource,
    grant: Option<crate::platform::policy::EmergencyGrant>,
    identity: Option<entities::identity::Model>,
}

async fn load(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
    case_id: i32,
    with_identity: bool,
) -> Result<Loaded, crate::platform::web::AppError> {
    use crate::platform::web::AppError;
    // Everything at once, by the case's id: the case with its person, its shares, the actor's
    // emergency grant on it and (when asked) the person's identity row.
    let id = case_id.to_string();
    let (found, shared_with, grant, identity) = tokio::try_join!(
        store::case_with_person(&state.db, case_id),
        store::shared_with(&state.db, case_id),
        crate::identity::break_glass::active_grant(
            &state.db,
            actor.user_id,
            "case",
            &id,
            chrono::Utc::now(),
        ),
        async {
            if with_identity {
                store::identity_of_case(&state.db, case_id).await
            } else {
                Ok(None)
            }
        },
    )?;
    let (c, p) = found.ok_or(AppError::NotFound)?;
    // The identity was found through the case in a query of its own: should the case have
    // been moved to another person in between (a merge), read the right person's.
    let identity = match identity {
        Some(row) if row.person_id != p.id => store::identity(&state.db, p.id).await?,
        other => other,
    };
    Ok(Loaded {
        person: p,
        resource: crate::platform::policy::Resource {
            owner_organisation_id: c.owner_org,
            shared_with,
        },
        case: c,
        grant,
        identity,
    })
}

/// Loads a case and decides `action` on it for the actor (audited), emergency access included:
/// what every area that touches a case calls first. 404 if there is none.
pub async fn guard(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
    case_id: i32,
    action: crate::platform::policy::Action,
) -> Result<
    (
        entities::case::Model,
        entities::person::Model,
        crate::platform::policy::Basis,
    ),
    crate::platform::web::AppError,
> {
    let l = load(state, actor, case_id, false).await?;
    let id = l.case.id.to_string();
    let basis = crate::platform::access::authorize(
        state,
        actor,
        action,
        &l.resource,
        l.grant,
        crate::platform::access::Target {
            kind: "case",
            id: &id,
            subject: Some(&l.person.code),
        },
    )
    .await?;
    Ok((l.case, l.person, basis))
}

/// A case file opened for reading by [`open_file`].
pub struct OpenedFile {
    pub case: entities::case::Model,
    pub person: entities::person::Model,
    pub basis: crate::platform::policy::Basis,
    /// The organisations the case is shared with.
    pub shared_with: Vec<i32>,
    /// The person's identity, when the reader may see it (its reading audited).
    pub identity: Option<store::Identity>,
}

/// Opens a case for reading with the person's identity where the reader's role sees it (what
/// [`guard`] reads, and the identity row, at once), the read and the identity read audited in
/// one durable commit (see [`crate::platform::access::authorize_read`]). When the read is
/// allowed, `alongside` (called with the case and its person: whatever else the page reads)
/// runs while that commit is made durable; its result comes back with the file, never before
/// the commit.
pub async fn open_file<T, Fut>(
    state: &crate::platform::web::SharedState,
    actor: &crate::platform::policy::Actor,
    case_id: i32,
    alongside: impl FnOnce(&entities::case::Model, &entities::person::Model) -> Fut,
) -> Result<(OpenedFile, T), crate::platform::web::AppError>
where
    Fut: std::future::Future<Output = Result<T, crate::platform::web::AppError>>,
{
    use crate::platform::web::AppError;
    let Loaded {
        case: c,
        person: p,
        resource,
        grant,
        identity: identity_row,
    } = load(state, actor, case_id, true).await?;
    let id = c.id.to_string();
    let (basis, shown, read) = crate::platform::access::authorize_read(
        state,
        actor,
        &resource,
        grant,
        crate::platform::access::Target {
            kind: "case",
            id: &id,
            subject: Some(&p.code),
        },
        identity_row.is_some(),
        alongside(&c, &p),
    )
    .await?;
    let identity = match identity_row {
        Some(row) if shown => Some(
            store::open_identity(&state.keys, &row)
                .map_err(|_| AppError::Internal("identity cannot be decrypted"))?,
        ),
        _ => None,
    };
    Ok((
        OpenedFile {
            case: c,
            person: p,
            basis,
            shared_with: resource.shared_with,
            identity,
        },
        read,
    ))
}

/// What a transfer package may carry of a person, opened from its sealed columns.
#[derive(Clone, Debug, Default)]
pub struct PackageData {
    pub names: Option<String>,
    pub phone: Option<String>,
    pub vulnerabilities: Option<String>,
}

/// Opens what a transfer package may carry of a person. The caller has decided and audited
/// reading the identity through [`guard`] with `Action::ReadIdentity`.
pub async fn package_data(
    state: &crate::platform::web::SharedState,
    person: &entities::person::Model,
) -> Result<PackageData, crate::platform::web::AppError> {
    use crate::platform::web::AppError;
    let identity = match store::identity(&state.db, person.id).await? {
        Some(m) => Some(
            store::open_identity(&state.keys, &m)
                .map_err(|_| AppError::Internal("identity cannot be decrypted"))?,
        ),
        None => None,
    };
    let vulnerabilities = store::open_text(
        &state.keys,
        store::VULNERABILITIES,
        &person.vulnerabilities_enc,
    )
    .map_err(|_| AppError::Internal("person text cannot be decrypted"))?;
    Ok(PackageData {
        names: identity.as_ref().map(|i| i.names.clone()),
        phone: identity.map(|i| i.phone).filter(|p| !p.is_empty()),
        vulnerabilities: Some(vulnerabilities).filter(|v| !v.is_empty()),
    })
}

/// Applies the retention policy now, audits what it did and returns the report.
pub async fn retention<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &crate::platform::crypto::KeyRing,
    days: u64,
) -> Result<store::RetentionReport, DbErr> {
    let days = i64::try_from(days).unwrap_or(i64::MAX / 2);
    let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
    let report = store::run_retention(db, cutoff).await?;
    audit::append(
        db,
        keys,
        Entry::new(None, "retention.run", "case").reason(format!(
            "{} identities, {} notes erased",
            report.identities_erased, report.notes_erased
        )),
    )
    .await?;
    Ok(report)
}

/// Runs the retention policy once a day while the server runs, at the configured quiet hour
/// (`retention_hour`, Italian time), never at start-up.
pub fn spawn_daily_retention(state: Arc<AppState>) {
    tokio::spawn(async move {
        loop {
            // Never at start-up: at the next quiet hour in Italy (`retention_hour`).
            let now = chrono::Utc::now();
            let at = crate::platform::time::next_rome_hour(now, state.config.retention_hour);
            let wait = (at - now)
                .to_std()
                .unwrap_or(std::time::Duration::from_secs(3600));
            tokio::time::sleep(wait).await;
            // Once per cluster: the instance that claims today's lease runs it.
            if !crate::platform::jobs::claim_daily(&state.db, "retention").await {
                continue;
            }
            match crate::reports::retention(&state.db, state.config.report_retention_days).await {
                Ok(n) => tracing::info!(reports = n, "public report retention run"),
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "report retention failed"
                ),
            }
            match retention(&state.db, &state.keys, state.config.retention_days).await {
                Ok(r) => tracing::info!(
                    identities = r.identities_erased,
                    notes = r.notes_erased,
                    "retention run"
                ),
                Err(e) => tracing::error!(
                    reason = crate::platform::db::describe(&e),
                    "retention run failed"
                ),
            }
        }
    });
}
