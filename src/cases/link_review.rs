//! The linkage review queue (issue 26): "link, don't merge".
//!
//! Two person records of different bodies whose linkage keys are alike are shown, side by side
//! with their names, to a reviewer who may read both identities (a case worker or hotline
//! operator of the body that holds one case and with which the other was shared: the policy's
//! `ReadIdentity` on each, decided and audited like any other read). The reviewer decides
//! "the same person" or "two people"; the decision is kept beside the records, never merges
//! them, is audited, and can be undone. The estimate follows the decisions: a pair decided
//! the same is one person whatever the threshold, a pair decided different is never joined.
//! Pairs that nobody may see both sides of are left to the threshold, for statistics only.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, TransactionTrait};

use super::store;
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Action, Actor, Permission};
use crate::platform::web::{AppError, SharedState};

pub mod person_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person_link")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub person_a: i32,
        pub person_b: i32,
        pub case_a: i32,
        pub case_b: i32,
        pub decision: String,
        pub state: String,
        pub similarity: i32,
        pub decided_by: i32,
        pub decided_at: ChronoDateTimeUtc,
        pub undone_by: Option<i32>,
        pub undone_at: Option<ChronoDateTimeUtc>,
        pub version: i32,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// Pairs at least this alike are offered for review (below the statistics' threshold too:
/// the reviewer sees what the threshold would miss).
pub const REVIEW_FLOOR: f64 = 0.62;
/// At most this many pairs on the page at once, the most alike first.
pub const PAGE: usize = 20;

/// A reviewer's decision on a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Same,
    Different,
}

impl Verdict {
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::Different => "different",
        }
    }
    pub fn from_code(code: &str) -> Option<Verdict> {
        match code {
            "same" => Some(Verdict::Same),
            "different" => Some(Verdict::Different),
            _ => None,
        }
    }
}

/// The two person ids of a pair in the order they are kept (smaller first), with their cases.
pub fn ordered(a: (i32, i32), b: (i32, i32)) -> ((i32, i32), (i32, i32)) {
    if a.0 <= b.0 { (a, b) } else { (b, a) }
}

/// The decisions in force: (person, person, same?) for every active one.
pub async fn decisions(db: &impl ConnectionTrait) -> Result<Vec<(i32, i32, bool)>, DbErr> {
    Ok(person_link::Entity::find()
        .filter(person_link::Column::State.eq("active"))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.person_a, l.person_b, l.decision == "same"))
        .collect())
}

/// A case the reviewer may read the identity of, with its person.
#[derive(Clone, Debug)]
pub struct Side {
    pub case_id: i32,
    pub person_id: i32,
    pub body: i32,
}

/// A pair waiting for a decision.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub a: Side,
    pub b: Side,
    pub similarity: f64,
}

/// The cases of the actor's organisation and those shared with it, one per person (the most
/// recent): the records whose identities the actor may read (the policy decides again, and
/// audits, when a pair is shown).
async fn visible(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<Side>, DbErr> {
    let Some(org) = actor.organisation_id else {
        return Ok(Vec::new());
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let cases = store::cases_for_org(db, org).await?;
    let ids: Vec<i32> = cases.iter().map(|c| c.person_id).collect();
    let people: HashMap<i32, i32> = store::people_by_id(db, &ids)
        .await?
        .into_iter()
        .map(|(id, p)| (id, p.created_by_org))
        .collect();
    for c in cases {
        if seen.insert(c.person_id)
            && let Some(body) = people.get(&c.person_id)
        {
            out.push(Side {
                case_id: c.id,
                person_id: c.person_id,
                body: *body,
            });
        }
    }
    Ok(out)
}

/// The pairs of records of different bodies the actor may review, the most alike first,
/// leaving out pairs already decided (and not undone).
pub async fn candidates(
    db: &impl ConnectionTrait,
    keyring: &crate::platform::crypto::KeyRing,
    actor: &Actor,
) -> Result<Vec<Candidate>, DbErr> {
    let sides = visible(db, actor).await?;
    let ids: Vec<i32> = sides.iter().map(|s| s.person_id).collect();
    let keys = super::linkage::keys_of(db, &ids).await?;
    let by_person: HashMap<i32, &Side> = sides.iter().map(|s| (s.person_id, s)).collect();
    let decided: HashSet<(i32, i32)> = person_link::Entity::find()
        .filter(person_link::Column::State.eq("active"))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.person_a, l.person_b))
        .collect();
    let only: Vec<crate::platform::linkage::Key> = keys.iter().map(|(_, k)| k.clone()).collect();
    let encoder = keyring.linkage_encoder();
    let decoded: Vec<crate::platform::linkage::Decoded> =
        only.iter().map(|k| encoder.decode(k)).collect();
    // Every pair of an organisation's records; blocking beyond linkage::EVERY_PAIR_UP_TO, so
    // that the page stays quick for a large one (this runs on every visit).
    let mut out = Vec::new();
    for (i, j) in crate::platform::linkage::pairs_to_compare(&only, &decoded) {
        let (Some(a), Some(b)) = (by_person.get(&keys[i].0), by_person.get(&keys[j].0)) else {
            continue;
        };
        if a.body == b.body {
            continue;
        }
        let ((pa, _), (pb, _)) = ordered((a.person_id, 0), (b.person_id, 0));
        if decided.contains(&(pa, pb)) {
            continue;
        }
        let similarity = crate::platform::linkage::compare(&decoded[i], &decoded[j]);
        if similarity >= REVIEW_FLOOR {
            let (a, b) = if a.person_id < b.person_id {
                (a, b)
            } else {
                (b, a)
            };
            out.push(Candidate {
                a: (*a).clone(),
                b: (*b).clone(),
                similarity,
            });
        }
    }
    out.sort_by(|x, y| {
        y.similarity
            .total_cmp(&x.similarity)
            .then(x.a.person_id.cmp(&y.a.person_id))
            .then(x.b.person_id.cmp(&y.b.person_id))
    });
    out.truncate(PAGE);
    Ok(out)
}

/// The decisions the actor may see (both cases readable by their organisation), newest first.
pub async fn decided(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<person_link::Model>, DbErr> {
    let cases: HashSet<i32> = visible(db, actor)
        .await?
        .into_iter()
        .map(|s| s.case_id)
        .collect();
    Ok(person_link::Entity::find()
        .order_by_desc(person_link::Column::DecidedAt)
        .order_by_desc(person_link::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|l| cases.contains(&l.case_a) && cases.contains(&l.case_b))
        .collect())
}

/// Why a review action did not happen.
#[derive(Debug)]
pub enum ReviewError {
    /// Message key.
    Refused(&'static str),
    Failed(AppError),
}

impl From<DbErr> for ReviewError {
    fn from(e: DbErr) -> Self {
        ReviewError::Failed(e.into())
    }
}

impl From<AppError> for ReviewError {
    fn from(e: AppError) -> Self {
        ReviewError::Failed(e)
    }
}

/// Opens both records' identities for the actor (each read decided and audited by the
/// policy): the names to show side by side.
pub async fn open_pair(
    state: &SharedState,
    actor: &Actor,
    case_a: i32,
    case_b: i32,
) -> Result<(String, String), AppError> {
    let mut names = Vec::new();
    for case in [case_a, case_b] {
        let (_, person, _) = super::guard(state, actor, case, Action::ReadIdentity).await?;
        names.push(
            super::package_data(state, &person)
                .await?
                .names
                .unwrap_or_default(),
        );
    }
    let b = names.pop().unwrap_or_default();
    let a = names.pop().unwrap_or_default();
    Ok((a, b))
}

/// Records the actor's verdict on the pair of cases (both readable, of different bodies,
/// alike enough to be offered); a pair decided before and undone is decided again.
pub async fn decide(
    state: &SharedState,
    actor: &Actor,
    case_a: i32,
    case_b: i32,
    verdict: Verdict,
) -> Result<i32, ReviewError> {
    if !actor.can(Permission::ReviewLinks) {
        return Err(ReviewError::Failed(AppError::Forbidden));
    }
    let (ca, pa, _) = super::guard(state, actor, case_a, Action::ReadIdentity).await?;
    let (cb, pb, _) = super::guard(state, actor, case_b, Action::ReadIdentity).await?;
    if pa.id == pb.id || pa.created_by_org == pb.created_by_org {
        return Err(ReviewError::Refused("link-error-same-body"));
    }
    let keys = super::linkage::keys_of(&state.db, &[pa.id, pb.id]).await?;
    let key = |p: i32| keys.iter().find(|(id, _)| *id == p).map(|(_, k)| k);
    let (Some(ka), Some(kb)) = (key(pa.id), key(pb.id)) else {
        return Err(ReviewError::Refused("link-error-no-key"));
    };
    let similarity = state.keys.linkage_encoder().similarity(ka, kb);
    if similarity < REVIEW_FLOOR {
        return Err(ReviewError::Refused("link-error-not-alike"));
    }
    let ((person_a, case_a), (person_b, case_b)) = ordered((pa.id, ca.id), (pb.id, cb.id));
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let existing = person_link::Entity::find()
        .filter(person_link::Column::PersonA.eq(person_a))
        .filter(person_link::Column::PersonB.eq(person_b))
        .one(&txn)
        .await?;
    let id = match existing {
        Some(l) if l.state == "active" => return Err(ReviewError::Refused("link-error-decided")),
        Some(l) => {
            let r = person_link::Entity::update_many()
                .col_expr(person_link::Column::Decision, Expr::value(verdict.code()))
                .col_expr(person_link::Column::State, Expr::value("active"))
                .col_expr(person_link::Column::CaseA, Expr::value(case_a))
                .col_expr(person_link::Column::CaseB, Expr::value(case_b))
                .col_expr(
                    person_link::Column::Similarity,
                    Expr::value(thousandths(similarity)),
                )
                .col_expr(person_link::Column::DecidedBy, Expr::value(actor.user_id))
                .col_expr(person_link::Column::DecidedAt, Expr::value(now))
                .col_expr(person_link::Column::UndoneBy, Expr::value(None::<i32>))
                .col_expr(
                    person_link::Column::UndoneAt,
                    Expr::value(None::<chrono::DateTime<Utc>>),
                )
                .col_expr(person_link::Column::Version, Expr::value(l.version + 1))
                .filter(person_link::Column::Id.eq(l.id))
                .filter(person_link::Column::Version.eq(l.version))
                .exec(&txn)
                .await?;
            if r.rows_affected != 1 {
                return Err(ReviewError::Refused("link-error-decided"));
            }
            l.id
        }
        None => {
            let r = person_link::Entity::insert(person_link::ActiveModel {
                person_a: Set(person_a),
                person_b: Set(person_b),
                case_a: Set(case_a),
                case_b: Set(case_b),
                decision: Set(verdict.code().into()),
                state: Set("active".into()),
                similarity: Set(thousandths(similarity)),
                decided_by: Set(actor.user_id),
                decided_at: Set(now),
                undone_by: Set(None),
                undone_at: Set(None),
                version: Set(0),
                ..Default::default()
            })
            .exec(&txn)
            .await;
            match r {
                Ok(r) => r.last_insert_id,
                // Decided by someone else at the same moment.
                Err(_) => return Err(ReviewError::Refused("link-error-decided")),
            }
        }
    };
    audit::append(
        &txn,
        &state.keys,
        Entry::new(
            Some(actor),
            &format!("link.{}", verdict.code()),
            "person_link",
        )
        .record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Undoes a decision read at `version` (the pair goes back to the queue).
pub async fn undo(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    version: i32,
) -> Result<(), ReviewError> {
    if !actor.can(Permission::ReviewLinks) {
        return Err(ReviewError::Failed(AppError::Forbidden));
    }
    let l = person_link::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ReviewError::Failed(AppError::NotFound))?;
    super::guard(state, actor, l.case_a, Action::Read).await?;
    super::guard(state, actor, l.case_b, Action::Read).await?;
    let txn = state.db.begin().await?;
    let r = person_link::Entity::update_many()
        .col_expr(person_link::Column::State, Expr::value("undone"))
        .col_expr(
            person_link::Column::UndoneBy,
            Expr::value(Some(actor.user_id)),
        )
        .col_expr(person_link::Column::UndoneAt, Expr::value(Some(Utc::now())))
        .col_expr(person_link::Column::Version, Expr::value(version + 1))
        .filter(person_link::Column::Id.eq(id))
        .filter(person_link::Column::Version.eq(version))
        .filter(person_link::Column::State.eq("active"))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        return Err(ReviewError::Refused("link-error-stale"));
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "link.undo", "person_link").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

fn thousandths(x: f64) -> i32 {
    (x * 1000.0).round().clamp(0.0, 1000.0) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_kept_smaller_person_first_with_their_cases() {
        assert_eq!(ordered((9, 90), (4, 40)), ((4, 40), (9, 90)));
        assert_eq!(ordered((4, 40), (9, 90)), ((4, 40), (9, 90)));
        assert_eq!(Verdict::from_code("same"), Some(Verdict::Same));
        assert_eq!(Verdict::from_code("merge"), None);
        assert_eq!(thousandths(0.8765), 877);
    }
}
