//! The platform's paged lists: `cursor` and `pagination: {pageSize}` in, `{results totalItems
//! next prev}` out, with `filtering` (field filters combined with `and`, `or`, `not`) and
//! `ordering` (a list of `{field, order}` or `{orderedField: {…}}`). A cursor is opaque to
//! clients; here it is the offset of the page's first item.

use super::gql_error;
use async_graphql::{Enum, InputObject, ID};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use tessera_core::Error;

/// Items per page when the client does not say, and the most it may ask for.
pub const DEFAULT_PAGE_SIZE: i32 = 25;
pub const MAX_PAGE_SIZE: i32 = 500;

#[derive(InputObject, Default)]
pub struct PaginationArgs {
    #[graphql(default = 25)]
    pub page_size: Option<i32>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default, Debug)]
#[graphql(rename_items = "PascalCase")]
pub enum OrderBy {
    #[default]
    Asc,
    Desc,
}

impl OrderBy {
    pub fn apply(self, o: Ordering) -> Ordering {
        match self {
            OrderBy::Asc => o,
            OrderBy::Desc => o.reverse(),
        }
    }
}

/// One page of `items` (already filtered and ordered): the page, the total, the cursors of the
/// next and the previous page.
pub struct Page<T> {
    pub results: Vec<T>,
    pub total: usize,
    pub next: Option<String>,
    pub prev: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each result made into another type.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { results: self.results.into_iter().map(f).collect(), total: self.total, next: self.next, prev: self.prev }
    }
}

pub fn page<T>(
    items: Vec<T>,
    cursor: Option<String>,
    pagination: Option<PaginationArgs>,
) -> async_graphql::Result<Page<T>> {
    let size = pagination.and_then(|p| p.page_size).unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(gql_error(Error::bad_input(format!("pageSize must be between 1 and {MAX_PAGE_SIZE}"))));
    }
    let size = size as usize;
    let offset = match cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| gql_error(Error::bad_input("cursor is not one this server gave")))?,
    };
    let total = items.len();
    let next = (offset + size < total).then(|| (offset + size).to_string());
    let prev = (offset > 0).then(|| offset.saturating_sub(size).to_string());
    let results = items.into_iter().skip(offset).take(size).collect();
    Ok(Page { results, total, next, prev })
}

/// One sort key: how two items compare on it.
pub type SortKey<T> = Box<dyn Fn(&T, &T) -> Ordering + Send + Sync>;

/// Sort by the first key that tells two items apart (`keys` in order of importance); without
/// keys the order stays as it is.
pub fn sort_by_keys<T>(items: &mut [T], keys: &[SortKey<T>]) {
    if keys.is_empty() {
        return;
    }
    items.sort_by(|a, b| keys.iter().map(|k| k(a, b)).find(|o| o.is_ne()).unwrap_or(Ordering::Equal));
}

/// The sort key of one field in one direction.
pub fn key<T, V: Ord>(order: OrderBy, field: impl Fn(&T) -> V + Send + Sync + 'static) -> SortKey<T> {
    Box::new(move |a, b| order.apply(field(a).cmp(&field(b))))
}

/// A filter on one field: `matches` says whether a value passes.
pub trait FieldFilter<V: ?Sized> {
    fn matches(&self, value: &V) -> bool;
}

#[derive(InputObject, Default)]
pub struct StringFilter {
    pub contains: Option<String>,
    pub eq: Option<String>,
    pub ne: Option<String>,
    pub starts_with: Option<String>,
}

impl FieldFilter<str> for StringFilter {
    fn matches(&self, v: &str) -> bool {
        self.eq.as_deref().is_none_or(|e| v == e)
            && self.ne.as_deref().is_none_or(|n| v != n)
            && self.contains.as_deref().is_none_or(|c| v.to_lowercase().contains(&c.to_lowercase()))
            && self.starts_with.as_deref().is_none_or(|s| v.to_lowercase().starts_with(&s.to_lowercase()))
    }
}

#[derive(InputObject, Default)]
pub struct BooleanFilter {
    pub eq: Option<bool>,
    pub ne: Option<bool>,
}

impl FieldFilter<bool> for BooleanFilter {
    fn matches(&self, v: &bool) -> bool {
        self.eq.is_none_or(|e| *v == e) && self.ne.is_none_or(|n| *v != n)
    }
}

#[derive(InputObject, Default)]
#[graphql(name = "IDFilter")]
pub struct IdFilter {
    pub eq: Option<ID>,
    pub ne: Option<ID>,
}

impl FieldFilter<str> for IdFilter {
    fn matches(&self, v: &str) -> bool {
        self.eq.as_ref().is_none_or(|e| v == e.as_str()) && self.ne.as_ref().is_none_or(|n| v != n.as_str())
    }
}

#[derive(InputObject, Default)]
pub struct DateFilter {
    pub eq: Option<DateTime<Utc>>,
    pub ne: Option<DateTime<Utc>>,
    pub gt: Option<DateTime<Utc>>,
    pub ge: Option<DateTime<Utc>>,
    pub lt: Option<DateTime<Utc>>,
    pub le: Option<DateTime<Utc>>,
}

impl FieldFilter<i64> for DateFilter {
    fn matches(&self, millis: &i64) -> bool {
        let v = *millis;
        let ms = |d: &DateTime<Utc>| d.timestamp_millis();
        self.eq.as_ref().is_none_or(|d| v == ms(d))
            && self.ne.as_ref().is_none_or(|d| v != ms(d))
            && self.gt.as_ref().is_none_or(|d| v > ms(d))
            && self.ge.as_ref().is_none_or(|d| v >= ms(d))
            && self.lt.as_ref().is_none_or(|d| v < ms(d))
            && self.le.as_ref().is_none_or(|d| v <= ms(d))
    }
}

/// Whether `value` passes an optional filter (absent: it does).
pub fn passes<V: ?Sized, F: FieldFilter<V>>(filter: &Option<F>, value: &V) -> bool {
    filter.as_ref().is_none_or(|f| f.matches(value))
}

/// The combinators every filter input has: all of `and`, any of `or` (when given), none of `not`.
pub fn combined<T, F>(
    item: &T,
    own: bool,
    and: &Option<Vec<F>>,
    or: &Option<Vec<F>>,
    not: &Option<Vec<F>>,
    each: impl Fn(&F, &T) -> bool,
) -> bool {
    own && and.iter().flatten().all(|f| each(f, item))
        && or.as_ref().is_none_or(|list| list.iter().any(|f| each(f, item)))
        && !not.iter().flatten().any(|f| each(f, item))
}

/// Epoch milliseconds as the `DateTime` scalar.
pub fn datetime(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_carry_cursors_to_their_neighbours() {
        let p = page((0..7).collect::<Vec<_>>(), None, Some(PaginationArgs { page_size: Some(3) })).expect("page");
        assert_eq!((p.results, p.total, p.next.as_deref(), p.prev), (vec![0, 1, 2], 7, Some("3"), None));
        let p = page((0..7).collect::<Vec<_>>(), Some("6".into()), Some(PaginationArgs { page_size: Some(3) }))
            .expect("page");
        assert_eq!((p.results, p.next, p.prev.as_deref()), (vec![6], None, Some("3")));
        assert!(page((0..7).collect::<Vec<_>>(), Some("x".into()), None).is_err());
        assert!(page((0..7).collect::<Vec<_>>(), None, Some(PaginationArgs { page_size: Some(0) })).is_err());
    }

    #[test]
    fn string_filters_match_as_documented() {
        let f = StringFilter { contains: Some("OAR".into()), starts_with: Some("b".into()), ..Default::default() };
        assert!(f.matches("Board") && !f.matches("Oar") && !f.matches("Bird"));
        let f = StringFilter { eq: Some("Board".into()), ne: Some("Other".into()), ..Default::default() };
        assert!(f.matches("Board") && !f.matches("board"));
    }
}
