//! The news area's operations, one per editor action: access through the policy, the rules,
//! the write and its audit entry in one transaction.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, TransactionTrait};

use super::entities::news_item;
use super::rules::{self, Draft, State, Step};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Actor, Permission};
use crate::platform::web::{AppError, SharedState};

/// Why an editor's action did not happen.
#[derive(Debug)]
pub enum NewsError {
    /// The typed item has problems: (field, message key) each.
    Invalid(Vec<(&'static str, &'static str)>),
    /// The step is not allowed from here (message key).
    Refused(&'static str),
    /// Someone changed the item since the form was drawn.
    Stale,
    Failed(AppError),
}

impl From<DbErr> for NewsError {
    fn from(e: DbErr) -> Self {
        NewsError::Failed(e.into())
    }
}

fn editor(actor: &Actor) -> Result<(), NewsError> {
    if actor.can(Permission::EditNews) {
        Ok(())
    } else {
        Err(NewsError::Failed(AppError::Forbidden))
    }
}

/// Items without their picture's bytes (lists, pages, the feed): `image` is empty when the
/// item has a picture, `None` when not.
pub fn without_image(q: Select<news_item::Entity>) -> Select<news_item::Entity> {
    use news_item::Column as C;
    use sea_orm::QuerySelect;
    q.select_only()
        .columns([
            C::Id,
            C::Title,
            C::Summary,
            C::Body,
            C::Topic,
            C::Province,
            C::State,
            C::PublishAt,
            C::WithdrawAt,
            C::AuthorId,
            C::ReviewerId,
            C::CreatedAt,
            C::UpdatedAt,
            C::Version,
            C::ImageType,
            C::ImageAlt,
        ])
        .expr_as(
            Expr::case(C::Image.is_null(), Expr::value(None::<Vec<u8>>))
                .finally(Expr::value(Some(Vec::<u8>::new()))),
            "image",
        )
}

/// Every item, newest first (the editors' desk).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<news_item::Model>, DbErr> {
    without_image(news_item::Entity::find())
        .order_by_desc(news_item::Column::UpdatedAt)
        .order_by_desc(news_item::Column::Id)
        .all(db)
        .await
}

/// One item, without its picture's bytes.
pub async fn get(db: &impl ConnectionTrait, id: i32) -> Result<Option<news_item::Model>, DbErr> {
    without_image(news_item::Entity::find_by_id(id))
        .one(db)
        .await
}

/// An item's picture: its bytes and type, if it has one.
pub async fn image(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<(Vec<u8>, String, news_item::Model)>, DbErr> {
    Ok(news_item::Entity::find_by_id(id)
        .one(db)
        .await?
        .and_then(|mut i| {
            let bytes = i.image.take()?;
            let kind = i.image_type.clone()?;
            Some((bytes, kind, i))
        }))
}

/// Sets (or with no file, removes) the picture of a draft read at `version`, with the text
/// that describes it; the file becomes a PNG or JPEG without metadata.
pub async fn set_image(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    version: i32,
    file: Option<&[u8]>,
    alt: &str,
) -> Result<(), NewsError> {
    editor(actor)?;
    let (bytes, kind) = match file {
        None => (None, None),
        Some(f) => {
            let p = super::files::prepare(f).map_err(|k| NewsError::Invalid(vec![("image", k)]))?;
            if !p.content_type.starts_with("image/") {
                return Err(NewsError::Invalid(vec![("image", "news-error-image-type")]));
            }
            let alt = alt.trim();
            if alt.is_empty() || alt.chars().count() > 300 {
                return Err(NewsError::Invalid(vec![(
                    "image_alt",
                    "news-error-image-alt",
                )]));
            }
            (Some(p.bytes), Some(p.content_type.to_owned()))
        }
    };
    let alt = bytes.as_ref().map(|_| alt.trim().to_owned());
    let txn = state.db.begin().await?;
    let r = news_item::Entity::update_many()
        .col_expr(news_item::Column::Image, Expr::value(bytes))
        .col_expr(news_item::Column::ImageType, Expr::value(kind))
        .col_expr(news_item::Column::ImageAlt, Expr::value(alt))
        .col_expr(news_item::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(news_item::Column::Version, Expr::value(version + 1))
        .filter(news_item::Column::Id.eq(id))
        .filter(news_item::Column::Version.eq(version))
        .filter(news_item::Column::State.eq(State::Draft.code()))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        txn.rollback().await?;
        return Err(why_not_written(state, id).await?);
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "news.image", "news_item").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Writes a new draft.
pub async fn create(
    state: &SharedState,
    actor: &Actor,
    d: &Draft,
) -> Result<news_item::Model, NewsError> {
    editor(actor)?;
    let problems = rules::problems(d);
    if !problems.is_empty() {
        return Err(NewsError::Invalid(problems));
    }
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let item = news_item::ActiveModel {
        title: Set(d.title.trim().to_owned()),
        summary: Set(d.summary.trim().to_owned()),
        body: Set(d.body.clone()),
        topic: Set(d.topic.clone()),
        province: Set(d.province.clone()),
        state: Set(State::Draft.code().into()),
        publish_at: Set(d.publish_at),
        withdraw_at: Set(d.withdraw_at),
        author_id: Set(actor.user_id),
        reviewer_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "news.create", "news_item").record(item.id),
    )
    .await?;
    txn.commit().await?;
    Ok(item)
}

/// Why a change to a draft was not written: the item is gone, no longer a draft, or was
/// changed since the form was drawn.
async fn why_not_written(state: &SharedState, id: i32) -> Result<NewsError, DbErr> {
    Ok(match get(&state.db, id).await? {
        None => NewsError::Failed(AppError::NotFound),
        Some(i) if i.state != State::Draft.code() => NewsError::Refused("news-error-not-draft"),
        Some(_) => NewsError::Stale,
    })
}

/// Changes a draft as read at `version`.
pub async fn update(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    d: &Draft,
    version: i32,
) -> Result<(), NewsError> {
    editor(actor)?;
    let problems = rules::problems(d);
    if !problems.is_empty() {
        return Err(NewsError::Invalid(problems));
    }
    let txn = state.db.begin().await?;
    let r = news_item::Entity::update_many()
        .col_expr(news_item::Column::Title, Expr::value(d.title.trim()))
        .col_expr(news_item::Column::Summary, Expr::value(d.summary.trim()))
        .col_expr(news_item::Column::Body, Expr::value(d.body.clone()))
        .col_expr(news_item::Column::Topic, Expr::value(d.topic.clone()))
        .col_expr(news_item::Column::Province, Expr::value(d.province.clone()))
        .col_expr(news_item::Column::PublishAt, Expr::value(d.publish_at))
        .col_expr(news_item::Column::WithdrawAt, Expr::value(d.withdraw_at))
        .col_expr(news_item::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(news_item::Column::Version, Expr::value(version + 1))
        .filter(news_item::Column::Id.eq(id))
        .filter(news_item::Column::Version.eq(version))
        .filter(news_item::Column::State.eq(State::Draft.code()))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        txn.rollback().await?;
        return Err(why_not_written(state, id).await?);
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), "news.update", "news_item").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Takes a step on an item read at `version`: submit, publish (a second editor; at its
/// scheduled time, or now), return, withdraw, reopen.
pub async fn step(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    step: Step,
    version: i32,
) -> Result<(), NewsError> {
    editor(actor)?;
    let item = get(&state.db, id)
        .await?
        .ok_or(NewsError::Failed(AppError::NotFound))?;
    if item.version != version {
        return Err(NewsError::Stale);
    }
    let from = State::from_code(&item.state).unwrap_or(State::Draft);
    let to = rules::transition(from, step, item.author_id == actor.user_id)
        .map_err(NewsError::Refused)?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let mut update = news_item::Entity::update_many()
        .col_expr(news_item::Column::State, Expr::value(to.code()))
        .col_expr(news_item::Column::UpdatedAt, Expr::value(now))
        .col_expr(news_item::Column::Version, Expr::value(version + 1));
    match step {
        Step::Publish => {
            update = update
                .col_expr(
                    news_item::Column::ReviewerId,
                    Expr::value(Some(actor.user_id)),
                )
                .col_expr(
                    news_item::Column::PublishAt,
                    Expr::value(Some(item.publish_at.unwrap_or(now))),
                );
        }
        Step::Withdraw => {
            // Off the site now, whatever withdrawal was scheduled.
            update = update.col_expr(news_item::Column::WithdrawAt, Expr::value(Some(now)));
        }
        Step::Reopen => {
            update = update
                .col_expr(
                    news_item::Column::WithdrawAt,
                    Expr::value(None::<DateTimeUtc>),
                )
                .col_expr(news_item::Column::ReviewerId, Expr::value(None::<i32>));
        }
        Step::Submit | Step::Return => {}
    }
    let r = update
        .filter(news_item::Column::Id.eq(id))
        .filter(news_item::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        txn.rollback().await?;
        return Err(NewsError::Stale);
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(Some(actor), &format!("news.{}", step.code()), "news_item").record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What the public sees at `now`, newest first, filtered by topic and province.
pub async fn public(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<Utc>,
    topic: Option<&str>,
    province: Option<&str>,
) -> Result<Vec<news_item::Model>, DbErr> {
    let mut q = without_image(news_item::Entity::find())
        .filter(news_item::Column::State.eq(State::Published.code()))
        .filter(news_item::Column::PublishAt.lte(now));
    if let Some(t) = topic {
        q = q.filter(news_item::Column::Topic.eq(t));
    }
    if let Some(p) = province {
        q = q.filter(news_item::Column::Province.eq(p));
    }
    Ok(q.order_by_desc(news_item::Column::PublishAt)
        .order_by_desc(news_item::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|i| rules::is_public(&i.state, i.publish_at, i.withdraw_at, now))
        .collect())
}
