//! The registry's version (issue 23): one row whose value changes, in the writing
//! transaction, whenever an organisation or a service is added or changed. Each instance keeps
//! the organisations and services in memory and reads only this value per request to know
//! whether its copy still holds, so that a page does not read both whole tables every time and
//! a change made through another instance is seen at its next request.
//!
//! The value is random rather than counted, so that a database restored from a backup never
//! presents a value that some running instance holds for other contents.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000037_registry_version"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("registry_version"))
                .col(ColumnDef::new(id("id")).integer().not_null().primary_key())
                .col(ColumnDef::new(id("version")).big_integer().not_null())
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO registry_version (id, version) SELECT 1, 0 \
                 WHERE NOT EXISTS (SELECT 1 FROM registry_version)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("registry_version")).to_owned())
            .await
    }
}
