//! Queries of individual projects.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};

use super::entities::{edition, expense, intervention, project, transition};
use crate::platform::crypto::KeyRing;

pub async fn editions(db: &impl ConnectionTrait) -> Result<Vec<edition::Model>, DbErr> {
    edition::Entity::find()
        .order_by_desc(edition::Column::StartsOn)
        .all(db)
        .await
}

pub async fn edition(db: &impl ConnectionTrait, id: i32) -> Result<Option<edition::Model>, DbErr> {
    edition::Entity::find_by_id(id).one(db).await
}

pub async fn add_edition(
    db: &impl ConnectionTrait,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    total_cents: i64,
    cofunding_cents: i64,
) -> Result<edition::Model, DbErr> {
    edition::ActiveModel {
        name: Set(name.to_owned()),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        total_cents: Set(total_cents),
        cofunding_cents: Set(cofunding_cents),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Narrative text of a project, sealed like identity.
pub const OBJECTIVES: &str = "project.objectives";
pub const DECISION_REASON: &str = "project.decision_reason";
pub const TRANSITION_REASON: &str = "project_transition.reason";

fn seal(keys: &KeyRing, ctx: &str, text: &str) -> Result<Option<Vec<u8>>, DbErr> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    keys.encrypt_str(ctx, text)
        .map(Some)
        .map_err(|e| DbErr::Custom(format!("sealing {ctx}: {e}")))
}

fn open(keys: &KeyRing, ctx: &str, sealed: &Option<Vec<u8>>) -> Result<String, DbErr> {
    match sealed {
        Some(b) => keys
            .decrypt_str(ctx, b)
            .map_err(|e| DbErr::Custom(format!("opening {ctx}: {e}"))),
        None => Ok(String::new()),
    }
}

/// A project with its objectives and decision reason opened, for showing.
pub fn opened(keys: &KeyRing, mut p: project::Model) -> Result<project::Model, DbErr> {
    p.objectives = open(keys, OBJECTIVES, &p.objectives_enc)?;
    p.decision_reason = open(keys, DECISION_REASON, &p.decision_reason_enc)?;
    Ok(p)
}

/// A transition with its reason opened, for showing.
pub fn opened_transition(
    keys: &KeyRing,
    mut t: transition::Model,
) -> Result<transition::Model, DbErr> {
    t.reason = open(keys, TRANSITION_REASON, &t.reason_enc)?;
    Ok(t)
}

#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &impl ConnectionTrait,
    keys: &KeyRing,
    case_id: i32,
    owner_org: i32,
    edition_id: i32,
    social_service_org: Option<i32>,
    social_worker: &str,
    objectives: &str,
) -> Result<project::Model, DbErr> {
    project::ActiveModel {
        case_id: Set(case_id),
        owner_org: Set(owner_org),
        edition_id: Set(edition_id),
        social_service_org: Set(social_service_org),
        social_worker: Set(social_worker.to_owned()),
        objectives: Set(String::new()),
        objectives_enc: Set(seal(keys, OBJECTIVES, objectives)?),
        status: Set("draft".into()),
        decision_reason: Set(String::new()),
        decision_reason_enc: Set(None),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(id).one(db).await
}

pub async fn of_org(db: &impl ConnectionTrait, org: i32) -> Result<Vec<project::Model>, DbErr> {
    project::Entity::find()
        .filter(project::Column::OwnerOrg.eq(org))
        .order_by_desc(project::Column::Id)
        .all(db)
        .await
}

/// Projects an evaluator sees: every one that is not a draft.
pub async fn of_case(
    db: &impl ConnectionTrait,
    case_id: i32,
) -> Result<Vec<project::Model>, DbErr> {
    project::Entity::find()
        .filter(project::Column::CaseId.eq(case_id))
        .order_by_desc(project::Column::Id)
        .all(db)
        .await
}

pub async fn for_evaluation(db: &impl ConnectionTrait) -> Result<Vec<project::Model>, DbErr> {
    project::Entity::find()
        .filter(project::Column::Status.ne("draft"))
        .order_by_asc(project::Column::Status)
        .order_by_desc(project::Column::Id)
        .all(db)
        .await
}

/// A page of the projects a caller sees, newest first, continuing below the id `after`:
/// every one that is not a draft for an evaluator, and the organisation's own (`org`) for a
/// case worker.
pub async fn page_for(
    db: &impl ConnectionTrait,
    evaluator: bool,
    org: Option<i32>,
    limit: u64,
    after: Option<i32>,
) -> Result<Vec<project::Model>, DbErr> {
    use sea_orm::QuerySelect;
    let mut seen = sea_orm::Condition::any();
    if evaluator {
        seen = seen.add(project::Column::Status.ne("draft"));
    }
    if let Some(org) = org {
        seen = seen.add(project::Column::OwnerOrg.eq(org));
    }
    if !evaluator && org.is_none() {
        return Ok(Vec::new());
    }
    let mut q = project::Entity::find().filter(seen);
    if let Some(after) = after {
        q = q.filter(project::Column::Id.lt(after));
    }
    q.order_by_desc(project::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The intervention lines of several projects, in one query.
pub async fn interventions_of(
    db: &impl ConnectionTrait,
    project_ids: &[i32],
) -> Result<Vec<intervention::Model>, DbErr> {
    intervention::Entity::find()
        .filter(intervention::Column::ProjectId.is_in(project_ids.iter().copied()))
        .order_by_asc(intervention::Column::Id)
        .all(db)
        .await
}

pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<project::Model>, DbErr> {
    project::Entity::find().all(db).await
}

pub async fn interventions(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<intervention::Model>, DbErr> {
    intervention::Entity::find()
        .filter(intervention::Column::ProjectId.eq(project_id))
        .order_by_asc(intervention::Column::Id)
        .all(db)
        .await
}

pub async fn intervention(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<intervention::Model>, DbErr> {
    intervention::Entity::find_by_id(id).one(db).await
}

pub async fn add_intervention(
    db: &impl ConnectionTrait,
    i: intervention::ActiveModel,
) -> Result<intervention::Model, DbErr> {
    i.insert(db).await
}

pub async fn transitions(
    db: &impl ConnectionTrait,
    project_id: i32,
) -> Result<Vec<transition::Model>, DbErr> {
    transition::Entity::find()
        .filter(transition::Column::ProjectId.eq(project_id))
        .order_by_asc(transition::Column::Id)
        .all(db)
        .await
}

/// Moves a project, with a version check; on approval the requested amounts become approved.
#[allow(clippy::too_many_arguments)]
pub async fn move_to<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    keys: &KeyRing,
    p: &project::Model,
    to: &str,
    reason: &str,
    by_user: i32,
    version: i32,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let r = project::Entity::update_many()
        .col_expr(project::Column::Status, Expr::value(to))
        .col_expr(
            project::Column::DecisionReasonEnc,
            Expr::value(seal(keys, DECISION_REASON, reason)?),
        )
        .col_expr(
            project::Column::Version,
            Expr::col(project::Column::Version).add(1),
        )
        .filter(project::Column::Id.eq(p.id))
        .filter(project::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    if to == "approved" {
        intervention::Entity::update_many()
            .col_expr(
                intervention::Column::ApprovedCents,
                Expr::col(intervention::Column::RequestedCents),
            )
            .filter(intervention::Column::ProjectId.eq(p.id))
            .exec(&txn)
            .await?;
    }
    transition::ActiveModel {
        project_id: Set(p.id),
        from_status: Set(p.status.clone()),
        to_status: Set(to.to_owned()),
        reason: Set(String::new()),
        reason_enc: Set(seal(keys, TRANSITION_REASON, reason)?),
        at: Set(Utc::now()),
        by_user: Set(by_user),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Sets what a line is granted (on approval, when it differs from what was asked).
pub async fn grant(db: &impl ConnectionTrait, line: i32, cents: i64) -> Result<(), DbErr> {
    intervention::Entity::update_many()
        .col_expr(intervention::Column::ApprovedCents, Expr::value(cents))
        .filter(intervention::Column::Id.eq(line))
        .exec(db)
        .await?;
    Ok(())
}

/// Changes a line of a project being written.
pub async fn change_intervention(
    db: &impl ConnectionTrait,
    line: i32,
    provider: &str,
    months: Option<i32>,
    requested_cents: i64,
) -> Result<(), DbErr> {
    intervention::Entity::update_many()
        .col_expr(intervention::Column::Provider, Expr::value(provider))
        .col_expr(intervention::Column::Months, Expr::value(months))
        .col_expr(
            intervention::Column::RequestedCents,
            Expr::value(requested_cents),
        )
        .filter(intervention::Column::Id.eq(line))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a line of a project being written (it has no expenses: only approved lines do).
pub async fn remove_intervention(db: &impl ConnectionTrait, line: i32) -> Result<(), DbErr> {
    intervention::Entity::delete_by_id(line).exec(db).await?;
    Ok(())
}

pub async fn expenses(
    db: &impl ConnectionTrait,
    intervention_id: i32,
) -> Result<Vec<expense::Model>, DbErr> {
    expense::Entity::find()
        .filter(expense::Column::InterventionId.eq(intervention_id))
        .order_by_asc(expense::Column::SpentOn)
        .all(db)
        .await
}

pub async fn spent(db: &impl ConnectionTrait, intervention_id: i32) -> Result<i64, DbErr> {
    Ok(expenses(db, intervention_id)
        .await?
        .iter()
        .map(|e| e.amount_cents)
        .sum())
}

pub async fn add_expense(db: &impl ConnectionTrait, e: expense::ActiveModel) -> Result<(), DbErr> {
    e.insert(db).await?;
    Ok(())
}

/// The encrypted columns this module writes (assembled by the composition root for key
/// rotation and for the schema test that every text column is sealed or declared plain).
pub const SEALED: &[crate::platform::keys::EncryptedColumn] = &[
    crate::platform::keys::EncryptedColumn {
        table: "project",
        key: "id",
        column: "objectives_enc",
        context: OBJECTIVES,
    },
    crate::platform::keys::EncryptedColumn {
        table: "project",
        key: "id",
        column: "decision_reason_enc",
        context: DECISION_REASON,
    },
    crate::platform::keys::EncryptedColumn {
        table: "project_transition",
        key: "id",
        column: "reason_enc",
        context: TRANSITION_REASON,
    },
];

/// Plain columns older versions wrote in clear, with the sealed column replacing each (migration
/// 0016 added the sealed ones; migrations have no keys, so they are sealed at start-up).
pub const SEALED_FROM_PLAIN: &[crate::platform::keys::LegacyPlain] = &[
    crate::platform::keys::LegacyPlain {
        table: "project",
        plain: "objectives",
        sealed: "objectives_enc",
        context: OBJECTIVES,
    },
    crate::platform::keys::LegacyPlain {
        table: "project",
        plain: "decision_reason",
        sealed: "decision_reason_enc",
        context: DECISION_REASON,
    },
    crate::platform::keys::LegacyPlain {
        table: "project_transition",
        plain: "reason",
        sealed: "reason_enc",
        context: TRANSITION_REASON,
    },
];
