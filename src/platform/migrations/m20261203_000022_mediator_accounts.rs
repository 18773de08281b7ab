//! A mediator request is assigned to a mediator's account (issue 22), so that it reaches her
//! desk and she records the outcome herself; the name stays for the history and for
//! mediators without an account.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261203_000022_mediator_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("mediator_request"))
                .add_column(ColumnDef::new(id("mediator_user_id")).integer().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("mediator_request_by_mediator")
                .table(id("mediator_request"))
                .col(id("mediator_user_id"))
                .col(id("needed_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("mediator_request_by_mediator")
                .table(id("mediator_request"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("mediator_request"))
                .drop_column(id("mediator_user_id"))
                .to_owned(),
        )
        .await
    }
}
