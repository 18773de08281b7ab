//! A news item's image (issue 27): the picture an article shows and its social card carries,
//! written again without metadata on upload (news::files), with the text that describes it
//! for people who cannot see it.

use sea_orm_migration::prelude::*;

use super::id;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000034_news_image"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            ColumnDef::new(id("image")).blob().null().to_owned(),
            ColumnDef::new(id("image_type"))
                .string_len(40)
                .null()
                .to_owned(),
            ColumnDef::new(id("image_alt"))
                .string_len(300)
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(id("news_item"))
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Ok(())
    }
}
