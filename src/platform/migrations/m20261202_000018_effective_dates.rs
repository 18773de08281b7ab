//! History entered after the fact (issue 21): a phase change takes the date it took effect,
//! entered by the worker; the moment it was recorded (`at`) stays for the audit. Changes
//! recorded before this migration took effect on the Italian day they were recorded.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000018_effective_dates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(id("case_phase"))
                .add_column(ColumnDef::new(id("effective_on")).date().null())
                .to_owned(),
        )
        .await?;
        // The Italian day of each recorded change (computed here: SQL has no portable way to
        // move an instant to Europe/Rome).
        let db = m.get_connection();
        let select = Query::select()
            .columns([id("id"), id("at")])
            .from(id("case_phase"))
            .to_owned();
        let rows = db.query_all(&select).await?;
        for r in rows {
            let pk: i32 = r.try_get_by_index(0)?;
            let at: chrono::DateTime<chrono::Utc> = r.try_get_by_index(1)?;
            let day = crate::platform::time::rome_date(at);
            let update = Query::update()
                .table(id("case_phase"))
                .value(id("effective_on"), day)
                .and_where(Expr::col(id("id")).eq(pk))
                .to_owned();
            db.execute(&update).await?;
        }
        m.create_index(
            Index::create()
                .name("ix_phase_effective")
                .table(id("case_phase"))
                .col(id("to_phase"))
                .col(id("effective_on"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ix_phase_effective")
                .table(id("case_phase"))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(id("case_phase"))
                .drop_column(id("effective_on"))
                .to_owned(),
        )
        .await
    }
}
