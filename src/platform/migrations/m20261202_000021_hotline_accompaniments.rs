//! Accompaniments arranged by the hotline name the call they came from (issue 21): a person
//! the hotline accompanies twice without a case is recognised through the call's caller
//! reference and counted once, not once per record.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000021_hotline_accompaniments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("accompaniment"))
                .add_column(ColumnDef::new(id("hotline_contact_id")).integer().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("accompaniment"))
                .drop_column(id("hotline_contact_id"))
                .to_owned(),
        )
        .await
    }
}
