//! The API's lists of referrals, public reports and projects come by pages, newest first,
//! continuing below the last id (issue 23): each filter they use gets an index that ends with
//! the id, so that any page at any depth is found without reading the whole table.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000024_list_indexes"
    }
}

/// (index, table, filter column); each index is (filter column, id).
const INDEXES: &[(&str, &str, &str)] = &[
    ("ix_referral_sender_id", "referral", "sender_org"),
    ("ix_referral_receiver_id", "referral", "receiver_org"),
    ("ix_referral_recorder_id", "referral", "recorded_by_org"),
    ("ix_report_status_id", "public_report", "status"),
    ("ix_project_owner_id", "project", "owner_org"),
    ("ix_project_status_id", "project", "status"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in INDEXES {
            m.create_index(
                Index::create()
                    .name(*name)
                    .table(id(table))
                    .col(id(column))
                    .col(id("id"))
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, _) in INDEXES {
            m.drop_index(Index::drop().name(*name).table(id(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
