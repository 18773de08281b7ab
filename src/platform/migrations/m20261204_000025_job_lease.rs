//! Daily jobs run once per cluster, not once per instance (issue 24): an instance runs the
//! retention sweep or the scheduled backup only after claiming that day's lease on the job, a
//! row of `job_lease` that one conditional update hands to one instance at a time, on SQLite
//! and PostgreSQL alike.

use sea_orm_migration::prelude::*;

use super::{id, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000025_job_lease"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("job_lease"))
                .col(
                    ColumnDef::new(id("name"))
                        .string_len(60)
                        .not_null()
                        .primary_key(),
                )
                // Which instance holds it (a random id per process: names no one).
                .col(ColumnDef::new(id("holder")).string_len(80).not_null())
                .col(ts("until"))
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("job_lease")).to_owned())
            .await
    }
}
