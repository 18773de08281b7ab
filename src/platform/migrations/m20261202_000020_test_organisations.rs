//! Records of a test or training organisation (issue 21): a flag on the organisation that
//! keeps its work out of every figure (activity report, open data).

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000020_test_organisations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("organisation"))
                .add_column(
                    ColumnDef::new(id("excluded_from_stats"))
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("organisation"))
                .drop_column(id("excluded_from_stats"))
                .to_owned(),
        )
        .await
    }
}
