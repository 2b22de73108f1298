//! Statements with their arguments, joined to be sent to SQLite together.

use crate::rows::db_err;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection};
use tessera_core::{Error, Result};

/// A statement and its arguments, numbered `$1`, `$2`, … in its text. Several joined into one
/// (SQLite runs them in order; its `$N` are numbers into one list of arguments) are renumbered.
#[derive(Default)]
pub(crate) struct Stmt {
    sql: String,
    args: Vec<Arg>,
}

/// An argument. `None` binds NULL (of text or integer type); see [`crate::element_sql::maybe`]
/// for the values that must not be bound as NULL.
pub(crate) enum Arg {
    Text(Option<String>),
    Int(Option<i64>),
    Float(f64),
}

impl Stmt {
    pub(crate) fn new(sql: impl Into<String>) -> Self {
        Stmt { sql: sql.into(), args: Vec::new() }
    }

    pub(crate) fn bind(mut self, a: impl Into<Arg>) -> Self {
        self.args.push(a.into());
        self
    }

    /// Append `next`, its placeholders moved past this one's arguments.
    pub(crate) fn push(&mut self, next: Stmt) {
        if !self.sql.is_empty() {
            self.sql.push_str(";\n");
        }
        self.sql.push_str(&renumber(&next.sql, self.args.len()));
        self.args.extend(next.args);
    }

    pub(crate) async fn execute(self, conn: &mut AnyConnection) -> Result<()> {
        let (sql, args) = self.into_parts()?;
        sqlx::query_with(&sql, args).execute(conn).await.map_err(db_err)?;
        Ok(())
    }

    /// Run, and return the first row any of the statements returned. All rows are read, not
    /// `fetch_optional`'s first result: given several statements, sqlx's `Any` driver looks only
    /// at the first one's result, and the row is a later one's.
    pub(crate) async fn fetch_row(self, conn: &mut AnyConnection) -> Result<Option<AnyRow>> {
        let (sql, args) = self.into_parts()?;
        Ok(sqlx::query_with(&sql, args).fetch_all(conn).await.map_err(db_err)?.into_iter().next())
    }

    fn into_parts(self) -> Result<(String, sqlx::any::AnyArguments<'static>)> {
        use sqlx::Arguments;
        let mut out = sqlx::any::AnyArguments::default();
        for a in self.args {
            match a {
                Arg::Text(v) => out.add(v),
                Arg::Int(v) => out.add(v),
                Arg::Float(v) => out.add(v),
            }
            .map_err(Error::internal)?;
        }
        Ok((self.sql, out))
    }
}

/// A value read from the first column of a row.
pub(crate) trait Column: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin {}
impl<T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin> Column for T {}

pub(crate) fn first_column<T: Column>(row: Option<AnyRow>) -> Result<Option<T>> {
    row.map(|r| sqlx::Row::try_get::<T, usize>(&r, 0).map_err(db_err)).transpose()
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::Float(v)
    }
}

/// The placeholders of `rows` rows of `columns` values each, `(…), (…)`, numbered on from
/// `$first` — on PostgreSQL. On SQLite plain `?`s, bound in the order written: sqlx looks up the
/// name of every parameter it binds, and SQLite finds a numbered one's name by a linear search,
/// so binding a statement of n `$N` parameters takes n² steps (a quarter of the token writer's
/// time, by profile, with a batch's 330-parameter insert).
pub(crate) fn value_rows(postgres: bool, rows: usize, columns: usize, first: usize) -> String {
    let row = |r: usize| -> String {
        let marks: Vec<String> = (0..columns).map(|c| mark(postgres, first + r * columns + c)).collect();
        format!("({})", marks.join(", "))
    };
    (0..rows).map(row).collect::<Vec<_>>().join(", ")
}

/// `n` placeholders for a list, `$first, …` (see [`value_rows`]).
pub(crate) fn list(postgres: bool, n: usize, first: usize) -> String {
    (first..first + n).map(|i| mark(postgres, i)).collect::<Vec<_>>().join(", ")
}

/// Placeholder `i`: `$i`, or on SQLite `?` (the statement must then bind in the order written).
pub(crate) fn mark(postgres: bool, i: usize) -> String {
    if postgres {
        format!("${i}")
    } else {
        "?".to_string()
    }
}

/// `sql` with every `$N` made `$(N + by)`.
fn renumber(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_in_order_on_sqlite() {
        assert_eq!(value_rows(true, 2, 3, 2), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(value_rows(false, 2, 2, 1), "(?, ?), (?, ?)");
        assert_eq!(list(true, 3, 2), "$2, $3, $4");
        assert_eq!(list(false, 2, 1), "?, ?");
    }

    #[test]
    fn joined_statements_number_their_arguments_past_those_before() {
        let mut s = Stmt::new("SELECT $1").bind(1_i64);
        s.push(Stmt::new("UPDATE x SET a = $2 WHERE b = $1 AND c = $10").bind(2_i64));
        assert_eq!(s.sql, "SELECT $1;\nUPDATE x SET a = $3 WHERE b = $2 AND c = $11");
        assert_eq!(s.args.len(), 2);
    }
}
