//! Information materials (issue 27): leaflets and cards as files, one language and one audience
//! each, through the same steps as news (draft → in review → published by a second editor →
//! withdrawn). Operations here: access, the rules, the write and its audit entry in one
//! transaction.

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect, TransactionTrait};

use super::entities::news_material;
use super::files::{self, Prepared};
use super::ops::NewsError;
use super::rules::{self, State, Step};
use crate::platform::audit::{self, Entry};
use crate::platform::policy::{Actor, Permission};
use crate::platform::web::{AppError, SharedState};
use crate::reports::lang::PublicLang;

/// Who a material is written for, in the order the filter lists them.
pub const AUDIENCES: &[&str] = &["victims", "citizens", "operators", "employers"];

/// A material as typed in the form (the file comes apart).
#[derive(Clone, Debug, Default)]
pub struct MaterialDraft {
    pub title: String,
    pub description: String,
    pub language: String,
    pub audience: String,
    pub topic: String,
}

/// Every problem of a typed material: (field, message key).
pub fn problems(d: &MaterialDraft) -> Vec<(&'static str, &'static str)> {
    let mut p = Vec::new();
    if !(5..=rules::TITLE_MAX).contains(&d.title.trim().chars().count()) {
        p.push(("title", "news-error-title"));
    }
    if d.description.chars().count() > rules::SUMMARY_MAX {
        p.push(("description", "material-error-description"));
    }
    if PublicLang::from_code(&d.language).is_none() {
        p.push(("language", "material-error-language"));
    }
    if !AUDIENCES.contains(&d.audience.as_str()) {
        p.push(("audience", "material-error-audience"));
    }
    if !rules::TOPICS.contains(&d.topic.as_str()) {
        p.push(("topic", "news-error-topic"));
    }
    p
}

fn editor(actor: &Actor) -> Result<(), NewsError> {
    if actor.can(Permission::EditNews) {
        Ok(())
    } else {
        Err(NewsError::Failed(AppError::Forbidden))
    }
}

/// Every material without its file, newest first (the editors' desk).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<news_material::Model>, DbErr> {
    listing(news_material::Entity::find())
        .order_by_desc(news_material::Column::UpdatedAt)
        .order_by_desc(news_material::Column::Id)
        .all(db)
        .await
}

/// The columns of a listing: the file itself stays in the database (an empty vector here).
fn listing(q: Select<news_material::Entity>) -> Select<news_material::Entity> {
    use news_material::Column as C;
    q.select_only()
        .columns([
            C::Id,
            C::Title,
            C::Description,
            C::Language,
            C::Audience,
            C::Topic,
            C::FileName,
            C::ContentType,
            C::Size,
            C::State,
            C::PublishedAt,
            C::AuthorId,
            C::ReviewerId,
            C::CreatedAt,
            C::UpdatedAt,
            C::Version,
        ])
        .expr_as(Expr::value(Vec::<u8>::new()), "file")
}

/// One material without its file.
pub async fn summary(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<news_material::Model>, DbErr> {
    listing(news_material::Entity::find_by_id(id)).one(db).await
}

/// One material with its file.
pub async fn get(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<news_material::Model>, DbErr> {
    news_material::Entity::find_by_id(id).one(db).await
}

/// Stores a new material as a draft, its file prepared (an image written again without its
/// metadata).
pub async fn create(
    state: &SharedState,
    actor: &Actor,
    d: &MaterialDraft,
    file: &[u8],
) -> Result<news_material::Model, NewsError> {
    editor(actor)?;
    let mut problems = problems(d);
    let prepared = match files::prepare(file) {
        Ok(p) => Some(p),
        Err(key) => {
            problems.push(("file", key));
            None
        }
    };
    let Some(Prepared {
        content_type,
        extension,
        bytes,
    }) = prepared.filter(|_| problems.is_empty())
    else {
        return Err(NewsError::Invalid(problems));
    };
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let m = news_material::ActiveModel {
        title: Set(d.title.trim().to_owned()),
        description: Set(d.description.trim().to_owned()),
        language: Set(d.language.clone()),
        audience: Set(d.audience.clone()),
        topic: Set(d.topic.clone()),
        file_name: Set(files::download_name(&d.title, extension)),
        content_type: Set(content_type.to_owned()),
        size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
        file: Set(bytes),
        state: Set(State::Draft.code().into()),
        published_at: Set(None),
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
        Entry::new(Some(actor), "material.create", "news_material").record(m.id),
    )
    .await?;
    txn.commit().await?;
    Ok(m)
}

/// Takes a step on a material read at `version` (the same steps as news).
pub async fn step(
    state: &SharedState,
    actor: &Actor,
    id: i32,
    step: Step,
    version: i32,
) -> Result<(), NewsError> {
    editor(actor)?;
    let m = summary(&state.db, id)
        .await?
        .ok_or(NewsError::Failed(AppError::NotFound))?;
    if m.version != version {
        return Err(NewsError::Stale);
    }
    let from = State::from_code(&m.state).unwrap_or(State::Draft);
    let to =
        rules::transition(from, step, m.author_id == actor.user_id).map_err(NewsError::Refused)?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    let mut update = news_material::Entity::update_many()
        .col_expr(news_material::Column::State, Expr::value(to.code()))
        .col_expr(news_material::Column::UpdatedAt, Expr::value(now))
        .col_expr(news_material::Column::Version, Expr::value(version + 1));
    match step {
        Step::Publish => {
            update = update
                .col_expr(
                    news_material::Column::ReviewerId,
                    Expr::value(Some(actor.user_id)),
                )
                .col_expr(news_material::Column::PublishedAt, Expr::value(Some(now)));
        }
        Step::Reopen => {
            update = update.col_expr(news_material::Column::ReviewerId, Expr::value(None::<i32>));
        }
        Step::Submit | Step::Return | Step::Withdraw => {}
    }
    let r = update
        .filter(news_material::Column::Id.eq(id))
        .filter(news_material::Column::Version.eq(version))
        .exec(&txn)
        .await?;
    if r.rows_affected != 1 {
        txn.rollback().await?;
        return Err(NewsError::Stale);
    }
    audit::append(
        &txn,
        &state.keys,
        Entry::new(
            Some(actor),
            &format!("material.{}", step.code()),
            "news_material",
        )
        .record(id),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The published materials (without their files), filtered by language and audience, in the
/// order of the languages and then newest first.
pub async fn public(
    db: &impl ConnectionTrait,
    language: Option<&str>,
    audience: Option<&str>,
) -> Result<Vec<news_material::Model>, DbErr> {
    let mut q = listing(news_material::Entity::find())
        .filter(news_material::Column::State.eq(State::Published.code()));
    if let Some(l) = language {
        q = q.filter(news_material::Column::Language.eq(l));
    }
    if let Some(a) = audience {
        q = q.filter(news_material::Column::Audience.eq(a));
    }
    let mut all = q
        .order_by_desc(news_material::Column::PublishedAt)
        .order_by_desc(news_material::Column::Id)
        .all(db)
        .await?;
    let rank = |code: &str| {
        PublicLang::ALL
            .iter()
            .position(|l| l.code() == code)
            .unwrap_or(PublicLang::ALL.len())
    };
    all.sort_by_key(|m| rank(&m.language));
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_material_needs_a_title_a_public_language_an_audience_and_a_topic() {
        let ok = MaterialDraft {
            title: "Sei in pericolo?".into(),
            description: String::new(),
            language: "ar".into(),
            audience: "victims".into(),
            topic: "prevention".into(),
        };
        assert!(problems(&ok).is_empty());
        let bad = MaterialDraft {
            title: " ".into(),
            language: "de".into(),
            audience: "everyone".into(),
            topic: "gossip".into(),
            ..ok
        };
        assert_eq!(
            problems(&bad),
            vec![
                ("title", "news-error-title"),
                ("language", "material-error-language"),
                ("audience", "material-error-audience"),
                ("topic", "news-error-topic"),
            ]
        );
    }
}
