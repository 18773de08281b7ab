//! Leases on background jobs: with several instances on one database, a daily job (retention,
//! the scheduled backup) runs on the one instance that claims its lease; the others skip it.
//! A claim is one conditional update (the lease is free or has run out), atomic on SQLite and
//! PostgreSQL; an instance that dies while holding it frees the job when the lease runs out.

use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait};

pub mod lease {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_lease")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub holder: String,
        pub until: ChronoDateTimeUtc,
    }
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}
    impl ActiveModelBehavior for ActiveModel {}
}

/// This process's name as a lease holder (random, fixed for the process's life).
pub fn holder() -> &'static str {
    static HOLDER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOLDER.get_or_init(|| format!("instance-{}", uuid::Uuid::new_v4()))
}

/// Claims the job `name` for `holder` until `now + lease`; `true` when this caller got it
/// (free, run out, or already its own), `false` when another instance holds it.
pub async fn claim(
    db: &impl ConnectionTrait,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    lease: Duration,
) -> Result<bool, DbErr> {
    // The row exists once; creating it gives nothing to anyone (its lease has run out).
    lease::Entity::insert(lease::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(String::new()),
        until: Set(DateTime::<Utc>::UNIX_EPOCH),
    })
    .on_conflict(
        OnConflict::column(lease::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let taken = lease::Entity::update_many()
        .col_expr(lease::Column::Holder, Expr::value(holder.to_owned()))
        .col_expr(lease::Column::Until, Expr::value(now + lease))
        .filter(lease::Column::Name.eq(name))
        .filter(
            sea_orm::Condition::any()
                .add(lease::Column::Until.lte(now))
                .add(lease::Column::Holder.eq(holder)),
        )
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Claims a daily job for this instance for 20 hours (less than a day, so that tomorrow's run
/// is free whoever ran today's); `false` (and a log line) when another instance has it or the
/// database cannot say.
pub async fn claim_daily(db: &sea_orm::DatabaseConnection, name: &str) -> bool {
    match claim(db, name, holder(), Utc::now(), Duration::hours(20)).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::info!(job = name, "daily job left to the instance that claimed it");
            false
        }
        Err(e) => {
            tracing::error!(
                job = name,
                reason = crate::platform::db::describe(&e),
                "daily job not run: its lease cannot be claimed"
            );
            false
        }
    }
}
