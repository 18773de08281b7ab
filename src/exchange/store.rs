//! Queries of data exchange: historical records.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionSession, TransactionTrait,
};

use super::ctdc::{Row, Summary};
use super::entities::historical;

/// Every imported historical record (anonymous by construction: the CTDC layout carries no
/// identity), for the open data.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<historical::Model>, DbErr> {
    historical::Entity::find().all(db).await
}

/// The keys of every record already imported.
pub async fn existing_keys(db: &impl ConnectionTrait) -> Result<HashSet<String>, DbErr> {
    Ok(historical::Entity::find()
        .select_only()
        .column(historical::Column::RowKey)
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Saves planned rows in one transaction: all or nothing.
pub async fn import<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    rows: &[(String, Row)],
    source: &str,
    batch: &str,
    mut step: impl FnMut(usize),
) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let now = Utc::now();
    for chunk in rows.chunks(400) {
        let models = chunk.iter().map(|(key, r)| historical::ActiveModel {
            row_key: Set(key.clone()),
            batch: Set(batch.to_owned()),
            source: Set(source.to_owned()),
            datasource: Set(r.datasource.clone()),
            year: Set(r.year),
            gender: Set(r.gender.clone()),
            age_broad: Set(r.age_broad.clone()),
            majority: Set(r.majority.clone()),
            majority_at_exploit: Set(r.majority_at_exploit.clone()),
            majority_entry: Set(r.majority_entry.clone()),
            citizenship: Set(r.citizenship.clone()),
            country_of_exploitation: Set(r.country_of_exploitation.clone()),
            forms: Set(crate::platform::codes::join(&r.forms)),
            forms_no: Set(crate::platform::codes::join(&r.forms_no)),
            labour_types: Set(crate::platform::codes::join(&r.labour_types)),
            sex_types: Set(crate::platform::codes::join(&r.sex_types)),
            means_of_control: Set(crate::platform::codes::join(&r.means_of_control)),
            recruiter_relations: Set(crate::platform::codes::join(&r.recruiter_relations)),
            abduction: Set(r.abduction),
            imported_at: Set(now),
            ..Default::default()
        });
        historical::Entity::insert_many(models).exec(&txn).await?;
        step(chunk.len());
    }
    txn.commit().await?;
    Ok(rows.len())
}

/// Counts of the records registered in `[from_year, to_year]`.
pub async fn summary(
    db: &impl ConnectionTrait,
    from_year: i32,
    to_year: i32,
) -> Result<Summary, DbErr> {
    let rows: Vec<(String, String, String)> = historical::Entity::find()
        .select_only()
        .column(historical::Column::Gender)
        .column(historical::Column::Forms)
        .column(historical::Column::Citizenship)
        .filter(historical::Column::Year.gte(from_year))
        .filter(historical::Column::Year.lte(to_year))
        .into_tuple()
        .all(db)
        .await?;
    let mut s = Summary::default();
    for (gender, forms, citizenship) in &rows {
        let forms: Vec<&str> = crate::platform::codes::iter(forms).collect();
        s.add(gender, &forms, citizenship);
    }
    Ok(s)
}

/// The figures of the records registered in `[from_year, to_year]`: one grouped query, then
/// counted in memory (a few thousand distinct rows even on national data).
pub async fn figures(
    db: &impl ConnectionTrait,
    from_year: i32,
    to_year: i32,
) -> Result<super::figures::Figures, DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    type Grouped = (
        i32,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
    );
    let c = historical::Column::Year;
    let columns = [
        historical::Column::Year,
        historical::Column::Datasource,
        historical::Column::Gender,
        historical::Column::AgeBroad,
        historical::Column::Forms,
        historical::Column::FormsNo,
        historical::Column::Citizenship,
        historical::Column::CountryOfExploitation,
    ];
    let mut q = historical::Entity::find().select_only();
    for col in columns {
        q = q.column(col).group_by(col);
    }
    let rows: Vec<Grouped> = q
        .column_as(Expr::col(historical::Column::Id).count(), "n")
        .filter(c.gte(from_year))
        .filter(c.lte(to_year))
        .into_tuple()
        .all(db)
        .await?;
    let mut f = super::figures::Figures::default();
    for (year, datasource, gender, age, forms, forms_no, citizenship, country, n) in &rows {
        let yes: Vec<&str> = crate::platform::codes::iter(forms).collect();
        let no: Vec<&str> = crate::platform::codes::iter(forms_no).collect();
        f.add_n(
            &super::figures::Counted {
                year: *year,
                datasource,
                gender,
                age_broad: age,
                forms_yes: &yes,
                forms_no: &no,
                citizenship,
                country,
            },
            *n,
        );
    }
    Ok(f)
}
