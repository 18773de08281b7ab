//! Instance settings kept in the database, among them the instance mode: a database created by
//! `satis demo` is marked as demonstration data for ever, and `satis demo` refuses to touch a
//! database that already holds real data.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseConnection};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instance_setting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub value: String,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

const MODE_KEY: &str = "mode";

/// What a database is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Real data: the default for every database `satis serve` opens.
    Production,
    /// Invented data loaded by `satis demo`.
    Demo,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Production => "production",
            Mode::Demo => "demo",
        }
    }
}

pub async fn get(db: &DatabaseConnection, key: &str) -> Result<Option<String>, DbErr> {
    Ok(Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|m| m.value))
}

pub async fn set(db: &DatabaseConnection, key: &str, value: &str) -> Result<(), DbErr> {
    let row = ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(chrono::Utc::now()),
    };
    Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(Column::Key)
                .update_columns([Column::Value, Column::UpdatedAt])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The database's mode, or `None` for a database no command has claimed yet.
pub async fn mode(db: &DatabaseConnection) -> Result<Option<Mode>, DbErr> {
    Ok(match get(db, MODE_KEY).await?.as_deref() {
        Some("demo") => Some(Mode::Demo),
        Some(_) => Some(Mode::Production),
        None => None,
    })
}

/// Claims an unclaimed database for `wanted` and returns the mode now in force.
pub async fn claim(db: &DatabaseConnection, wanted: Mode) -> Result<Mode, DbErr> {
    match mode(db).await? {
        Some(m) => Ok(m),
        None => {
            set(db, MODE_KEY, wanted.as_str()).await?;
            Ok(wanted)
        }
    }
}
