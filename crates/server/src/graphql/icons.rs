//! The icon library queries, `getIconLibraries` and `searchIcons`, over tessera's built-in
//! library ([`tessera_core::icons`]). The files they point at are served by `web::icons`.

use super::paging::{page, PaginationArgs};
use super::principal;
use async_graphql::{Context, Object, SimpleObject};
use tessera_core::icons::{self, Search};

#[derive(SimpleObject)]
pub struct IconVariant {
    pub name: Option<String>,
    /// Where the SVG file is served, relative to the server's base URL.
    pub asset_path: Option<String>,
}

#[derive(SimpleObject)]
pub struct IconInfo {
    pub name: String,
    pub library_name: String,
    pub category_name: String,
    /// The variant asked for (the first one when none was).
    pub variant: IconVariant,
    pub available_variants: Vec<IconVariant>,
    pub aspect_ratio: f64,
}

#[derive(SimpleObject)]
pub struct IconCategory {
    pub name: String,
    pub available_variant_names: Vec<String>,
    pub icon_count: i32,
    pub icons: Vec<IconInfo>,
}

#[derive(SimpleObject)]
pub struct IconLibrary {
    pub name: String,
    pub categories: Vec<IconCategory>,
    pub category_count: i32,
    pub icon_count: i32,
}

#[derive(SimpleObject)]
pub struct LibrariesPaged {
    pub results: Vec<IconLibrary>,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub total_items: Option<i32>,
}

#[derive(SimpleObject)]
pub struct IconsPaged {
    pub results: Vec<IconInfo>,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub total_items: Option<i32>,
}

fn variant(icon: &icons::Icon, name: &str) -> IconVariant {
    IconVariant { name: Some(name.to_owned()), asset_path: Some(icon.asset_path(name)) }
}

fn info(icon: &icons::Icon, chosen: &str) -> IconInfo {
    IconInfo {
        name: icon.name.to_owned(),
        library_name: icons::LIBRARY.to_owned(),
        category_name: icon.category.to_owned(),
        variant: variant(icon, chosen),
        available_variants: icon.variants().iter().map(|v| variant(icon, v)).collect(),
        aspect_ratio: icon.aspect_ratio(),
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn library() -> IconLibrary {
    let categories: Vec<IconCategory> = icons::categories()
        .into_iter()
        .map(|(name, list)| {
            let mut variants: Vec<String> = Vec::new();
            for v in list.iter().flat_map(|i| i.variants()) {
                if !variants.iter().any(|have| have == v) {
                    variants.push((*v).to_owned());
                }
            }
            IconCategory {
                name: name.to_owned(),
                available_variant_names: variants,
                icon_count: count(list.len()),
                icons: list.iter().map(|i| info(i, i.variants()[0])).collect(),
            }
        })
        .collect();
    IconLibrary {
        name: icons::LIBRARY.to_owned(),
        category_count: count(categories.len()),
        icon_count: count(icons::ICONS.len()),
        categories,
    }
}

#[derive(Default)]
pub struct IconQuery;

#[Object]
impl IconQuery {
    /// The icon libraries an `Icon` element can draw from: tessera has one, its own.
    async fn get_icon_libraries(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        pagination: Option<PaginationArgs>,
    ) -> async_graphql::Result<LibrariesPaged> {
        principal(ctx)?;
        let p = page(vec![library()], cursor, pagination)?;
        Ok(LibrariesPaged { total_items: Some(count(p.total)), results: p.results, next: p.next, prev: p.prev })
    }

    /// Icons whose name or tags hold every word of `queryString`, in one library and category
    /// if given, answered in `variantName` (icons not drawn in it are left out).
    #[allow(clippy::too_many_arguments)]
    async fn search_icons(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        pagination: Option<PaginationArgs>,
        query_string: Option<String>,
        library: Option<String>,
        category: Option<String>,
        variant_name: Option<String>,
    ) -> async_graphql::Result<IconsPaged> {
        principal(ctx)?;
        let found = icons::search(&Search {
            words: query_string.as_deref(),
            library: library.as_deref(),
            category: category.as_deref(),
            variant: variant_name.as_deref(),
        });
        let p = page(found, cursor, pagination)?;
        Ok(IconsPaged {
            total_items: Some(count(p.total)),
            results: p.results.into_iter().map(|(i, v)| info(i, v)).collect(),
            next: p.next,
            prev: p.prev,
        })
    }
}
