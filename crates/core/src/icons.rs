//! tessera's built-in icon library: what `getIconLibraries` and `searchIcons` list and what an
//! `Icon` element's `assetPath` points at. The platform serves its own library's SVG files under
//! `/icons/…`; tessera has one library of its own drawings, compiled in, served under the same
//! prefix (`/icons/{library}/{category}/{variant}/{name}.svg`).
//!
//! Every icon is one SVG path on a 24 × 24 grid. The `line` variant strokes it and the `solid`
//! variant fills it; icons made of open strokes (a tick, a cross) have only `line`.

/// The library's name, as `getIconLibraries` lists it and `searchIcons(library:)` selects it.
pub const LIBRARY: &str = "Tessera";
/// Where the files are served; an icon's `assetPath` starts with this.
pub const PREFIX: &str = "/icons";

/// The two ways an icon is drawn.
pub const LINE: &str = "line";
pub const SOLID: &str = "solid";

/// One icon: its name, the words a search also finds it by, its drawing, and whether it can be
/// filled.
pub struct Icon {
    pub name: &'static str,
    pub category: &'static str,
    pub tags: &'static [&'static str],
    path: &'static str,
    fillable: bool,
}

impl Icon {
    /// The variants it is drawn in, `line` first.
    pub fn variants(&self) -> &'static [&'static str] {
        if self.fillable {
            &[LINE, SOLID]
        } else {
            &[LINE]
        }
    }

    /// Width over height; every icon is drawn on a square grid.
    pub fn aspect_ratio(&self) -> f64 {
        1.0
    }

    /// Where its file in `variant` is served.
    pub fn asset_path(&self, variant: &str) -> String {
        format!("{PREFIX}/{LIBRARY}/{}/{variant}/{}.svg", self.category, self.name)
    }

    /// The SVG document of its `variant` (black, for a client to tint).
    pub fn svg(&self, variant: &str) -> String {
        let paint = if variant == SOLID {
            r##"fill="#000""##
        } else {
            r##"fill="none" stroke="#000" stroke-width="2" stroke-linecap="round" stroke-linejoin="round""##
        };
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path {paint} d="{}"/></svg>"#,
            self.path
        )
    }

    /// How well it matches `words` (each must be in its name or a tag): `None` when it does
    /// not; lower is better: the name is the words, the name holds them, a tag holds one.
    fn rank(&self, words: &str) -> Option<u8> {
        let words = words.to_lowercase();
        let each: Vec<&str> = words.split_whitespace().collect();
        if !each.iter().all(|w| self.name.contains(w) || self.tags.iter().any(|t| t.contains(w))) {
            return None;
        }
        Some(match () {
            _ if self.name == each.join("-") => 0,
            _ if each.iter().all(|w| self.name.contains(w)) => 1,
            _ => 2,
        })
    }
}

const fn icon(
    category: &'static str,
    name: &'static str,
    tags: &'static [&'static str],
    path: &'static str,
    fillable: bool,
) -> Icon {
    Icon { name, category, tags, path, fillable }
}

/// The library, category by category.
pub static ICONS: &[Icon] = &[
    icon("Arrows", "arrow-up", &["up", "north"], "M9 21V11H4l8-8 8 8h-5v10z", true),
    icon("Arrows", "arrow-down", &["down", "south"], "M9 3v10H4l8 8 8-8h-5V3z", true),
    icon("Arrows", "arrow-left", &["left", "west", "back"], "M21 9H11V4l-8 8 8 8v-5h10z", true),
    icon("Arrows", "arrow-right", &["right", "east", "next"], "M3 9h10V4l8 8-8 8v-5H3z", true),
    icon("Arrows", "refresh", &["reload", "cycle", "repeat"], "M20 12a8 8 0 1 1-2.3-5.7M20 4v4h-4", false),
    icon("Interface", "check", &["tick", "done", "yes"], "M4 12l5 5L20 6", false),
    icon("Interface", "close", &["cross", "x", "no", "cancel"], "M5 5l14 14M19 5L5 19", false),
    icon("Interface", "plus", &["add", "new"], "M12 4v16M4 12h16", false),
    icon("Interface", "minus", &["remove", "subtract"], "M4 12h16", false),
    icon(
        "Interface",
        "search",
        &["find", "magnifier", "zoom"],
        "M10 17a7 7 0 1 0 0-14a7 7 0 1 0 0 14zM15 15l6 6",
        false,
    ),
    icon("Interface", "display", &["screen", "monitor", "wall"], "M3 4h18v12H3zM9 20h6M12 16v4", false),
    icon("Interface", "maximize-window", &["window", "display", "fullscreen"], "M3 4h18v16H3zM3 8h18", false),
    icon("Interface", "home", &["house", "start"], "M3 11l9-8 9 8v10h-6v-6H9v6H3z", true),
    icon(
        "Interface",
        "user",
        &["person", "profile", "member"],
        "M12 12a4 4 0 1 0 0-8a4 4 0 1 0 0 8zM4 21a8 8 0 0 1 16 0z",
        true,
    ),
    icon("Interface", "lock", &["secure", "private", "closed"], "M6 11h12v10H6zM8 11V7a4 4 0 0 1 8 0v4", false),
    icon(
        "Interface",
        "clock",
        &["time", "hour", "schedule"],
        "M12 21a9 9 0 1 0 0-18a9 9 0 1 0 0 18zM12 7v5l3 3",
        false,
    ),
    icon("Interface", "calendar", &["date", "day", "schedule"], "M4 5h16v16H4zM4 10h16M8 3v4M16 3v4", false),
    icon("Interface", "chat", &["comment", "message", "bubble"], "M4 4h16v12H9l-5 4z", true),
    icon("Interface", "flag", &["mark", "milestone"], "M5 22V3h13l-3 4 3 4H5", true),
    icon("Interface", "pin", &["location", "place", "map"], "M12 22s7-6.5 7-12a7 7 0 0 0-14 0c0 5.5 7 12 7 12z", true),
    icon(
        "Interface",
        "lightbulb",
        &["idea", "light"],
        "M9 18h6M10 21h4M12 3a6 6 0 0 0-4 10.5c.8.8 1 1.5 1 2.5h6c0-1 .2-1.7 1-2.5A6 6 0 0 0 12 3z",
        false,
    ),
    icon("Shapes", "circle", &["round", "dot"], "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z", true),
    icon("Shapes", "square", &["box", "rectangle"], "M4 4h16v16H4z", true),
    icon("Shapes", "triangle", &["warning"], "M12 3l9 17H3z", true),
    icon("Shapes", "diamond", &["rhombus", "decision"], "M12 2l10 10-10 10L2 12z", true),
    icon("Shapes", "hexagon", &["polygon"], "M7 3h10l5 9-5 9H7l-5-9z", true),
    icon(
        "Shapes",
        "star",
        &["favourite", "favorite", "rating"],
        "M12 2l2.9 6.6 7.1.6-5.4 4.7 1.6 7.1L12 17.3 5.8 21l1.6-7.1L2 9.2l7.1-.6z",
        true,
    ),
    icon(
        "Shapes",
        "heart",
        &["love", "like"],
        "M12 21s-8-5.2-8-11a4.5 4.5 0 0 1 8-2.8A4.5 4.5 0 0 1 20 10c0 5.8-8 11-8 11z",
        true,
    ),
];

/// The categories in the order they are listed, each with its icons.
pub fn categories() -> Vec<(&'static str, Vec<&'static Icon>)> {
    let mut out: Vec<(&'static str, Vec<&'static Icon>)> = Vec::new();
    for icon in ICONS {
        match out.iter_mut().find(|(c, _)| *c == icon.category) {
            Some((_, icons)) => icons.push(icon),
            None => out.push((icon.category, vec![icon])),
        }
    }
    out
}

/// What `searchIcons` asks for; every part is optional and names compare without case.
#[derive(Default)]
pub struct Search<'a> {
    /// Words that must each appear in the icon's name or tags.
    pub words: Option<&'a str>,
    pub library: Option<&'a str>,
    pub category: Option<&'a str>,
    /// Only icons drawn in this variant, answered in it.
    pub variant: Option<&'a str>,
}

/// The icons a search finds, each with the variant to answer it in: the best matches first
/// (see [`Icon::rank`]), then in library order.
pub fn search(q: &Search) -> Vec<(&'static Icon, &'static str)> {
    let same = |want: Option<&str>, have: &str| want.is_none_or(|w| w.eq_ignore_ascii_case(have));
    if !same(q.library, LIBRARY) {
        return Vec::new();
    }
    let mut found: Vec<(u8, &'static Icon, &'static str)> = ICONS
        .iter()
        .filter(|i| same(q.category, i.category))
        .filter_map(|i| {
            let rank = match q.words {
                Some(w) => i.rank(w)?,
                None => 0,
            };
            let variant = match q.variant {
                None => i.variants()[0],
                Some(v) => *i.variants().iter().find(|have| have.eq_ignore_ascii_case(v))?,
            };
            Some((rank, i, variant))
        })
        .collect();
    found.sort_by_key(|(rank, ..)| *rank);
    found.into_iter().map(|(_, i, v)| (i, v)).collect()
}

/// The SVG document served at `path` (what follows the prefix: `{library}/{category}/{variant}/{name}.svg`).
pub fn file(path: &str) -> Option<String> {
    let mut parts = path.split('/');
    let (library, category, variant, file) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || library != LIBRARY {
        return None;
    }
    let name = file.strip_suffix(".svg")?;
    let icon = ICONS.iter().find(|i| i.category == category && i.name == name)?;
    icon.variants().contains(&variant).then(|| icon.svg(variant))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_is_served_at_its_asset_path_in_each_variant_and_nowhere_else() {
        for icon in ICONS {
            for v in icon.variants() {
                let path = icon.asset_path(v);
                let svg = file(path.strip_prefix("/icons/").unwrap()).expect(&path);
                assert!(svg.starts_with("<svg") && svg.contains(icon.path), "{path}");
            }
        }
        assert!(file("Tessera/Interface/solid/check.svg").is_none(), "an open stroke has no solid variant");
        assert!(file("Other/Interface/line/check.svg").is_none());
        assert!(file("Tessera/Shapes/line/check.svg").is_none(), "wrong category");
        assert!(file("Tessera/Interface/line/check.png").is_none());
        assert!(file("Tessera/Interface/line/check.svg/x").is_none());
    }

    #[test]
    fn names_are_unique_and_safe_in_a_url() {
        let mut seen = std::collections::HashSet::new();
        for icon in ICONS {
            assert!(seen.insert(icon.name), "{} twice", icon.name);
            assert!(icon.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", icon.name);
            assert!(icon.path.chars().all(|c| !matches!(c, '"' | '<' | '>' | '&')));
        }
    }

    #[test]
    fn search_matches_every_word_by_name_or_tag_and_filters_by_library_category_and_variant() {
        let names = |q: Search| search(&q).iter().map(|(i, v)| format!("{}:{v}", i.name)).collect::<Vec<_>>();
        assert_eq!(
            names(Search { words: Some("Display"), ..Default::default() }),
            ["display:line", "maximize-window:line"]
        );
        assert_eq!(names(Search { words: Some("window display"), ..Default::default() }), ["maximize-window:line"]);
        assert_eq!(
            names(Search { words: Some("rating"), variant: Some("SOLID"), ..Default::default() }),
            ["star:solid"]
        );
        // "star" is also in home's "start": the icon named so comes first.
        assert_eq!(names(Search { words: Some("star"), ..Default::default() }), ["star:line", "home:line"]);
        assert_eq!(names(Search { words: Some("window"), ..Default::default() })[0], "maximize-window:line");
        assert!(names(Search { words: Some("check"), variant: Some("solid"), ..Default::default() }).is_empty());
        assert!(names(Search { library: Some("Bluescape"), ..Default::default() }).is_empty());
        let shapes = names(Search { library: Some("tessera"), category: Some("shapes"), ..Default::default() });
        assert_eq!(shapes.len(), ICONS.iter().filter(|i| i.category == "Shapes").count());
        assert_eq!(names(Search::default()).len(), ICONS.len());
    }
}
