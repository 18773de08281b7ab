//! Linkage keys of people (issue 26): the balanced Bloom-filter encoding of each person's
//! name, birth year, gender and nationality under the network's linkage secret, with the tag
//! of the secret it was made with (so that keys made under an older secret are made again).
//! The key reveals no name without the secret, which is in the key file, not the database.

use sea_orm_migration::prelude::*;

use super::{id, ts};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000031_linkage_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(id("person_linkage"))
                .col(
                    ColumnDef::new(id("person_id"))
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(id("link_key")).blob().not_null())
                .col(ColumnDef::new(id("secret_tag")).string_len(16).not_null())
                .col(ts("updated_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(id("person_linkage")).to_owned())
            .await
    }
}
