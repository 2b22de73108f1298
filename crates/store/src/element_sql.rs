//! The SQL of element rows: the `elements` query (with the spatial index), the optional values
//! of a row written without NULL parameters, and the element history (`element_versions`).

use crate::group::Stmt;
use crate::open::Dialect;
use crate::rows::to_json;
use tessera_core::element::{BoundingBox, Element};
use tessera_core::ids::{ElementId, WorkspaceId};
use tessera_core::ports::{ElementQuery, Placement};
use tessera_core::Result;

/// The query for [`Store::elements`]: the workspace, then the id, the types and the viewport's
/// x0, y0, x1, y1 as they are present.
pub(crate) fn elements_sql(dialect: Dialect, q: &ElementQuery<'_>) -> String {
    // Numbered placeholders: sqlx's query builder writes `?` for `Any`, which PostgreSQL rejects.
    let mut from = "elements e".to_string();
    let mut sql = String::from(" WHERE e.workspace_id = $1");
    let mut n = 1;
    if q.id.is_some() {
        n += 1;
        sql.push_str(&format!(" AND e.id = ${n}"));
    }
    if !q.types.is_empty() {
        let list: Vec<String> = (n + 1..=n + q.types.len()).map(|i| format!("${i}")).collect();
        sql.push_str(&format!(" AND e.type IN ({})", list.join(", ")));
        n += q.types.len();
    }
    match q.placement {
        Placement::Any => {}
        Placement::TopLevel => sql.push_str(" AND e.surface_id IS NULL"),
        Placement::Attached => sql.push_str(" AND e.surface_id IS NOT NULL"),
    }
    if q.overlaps.is_some() {
        let (x0, y0, x1, y1) = (n + 1, n + 2, n + 3, n + 4);
        // The index finds the candidates; the exact columns decide.
        match dialect {
            // The R*Tree drives (CROSS JOIN keeps it the outer loop), each hit read by rowid.
            Dialect::Sqlite => {
                from = "elements_box b CROSS JOIN elements e".into();
                sql.push_str(&format!(
                    " AND e.rowid = b.id AND b.ws_lo <= (SELECT rowid FROM workspaces WHERE id = $1)
                      AND b.ws_hi >= (SELECT rowid FROM workspaces WHERE id = $1)
                      AND b.min_x <= ${x1} AND b.max_x >= ${x0} AND b.min_y <= ${y1} AND b.max_y >= ${y0}"
                ));
            }
            Dialect::Postgres => sql.push_str(&format!(
                " AND e.min_x IS NOT NULL
                  AND box(point(e.min_x, e.min_y), point(e.max_x, e.max_y)) && box(point(${x0}, ${y0}), point(${x1}, ${y1}))"
            )),
        }
        sql.push_str(&format!(" AND e.min_x <= ${x1} AND e.max_x >= ${x0} AND e.min_y <= ${y1} AND e.max_y >= ${y0}"));
    }
    format!("SELECT e.data FROM {from}{sql} ORDER BY e.z_index, e.{}", creation_order(dialect))
}

/// The event kinds that change an element (their payload names it: `elementId`, or the
/// created `element`'s `id`).
const ELEMENT_KINDS: &str = "'elementCreated', 'elementUpdated', 'elementDeleted', 'traitsUpdated', 'assetIngested'";

/// Every element of a workspace (`$1`) with its creation-order key, and the workspace's last
/// cursor, in one statement (one snapshot), at most `$2` elements; no elements: one row of nulls.
pub(crate) fn board_sql(dialect: Dialect) -> String {
    let order = creation_order(dialect);
    format!(
        "SELECT w.last_cursor, e.{order}, e.data FROM workspaces w LEFT JOIN elements e ON e.workspace_id = w.id
         WHERE w.id = $1 AND w.deleted_at IS NULL ORDER BY e.z_index, e.{order} LIMIT $2"
    )
}

/// The elements of workspace `$1` that events after cursor `$2` changed, each with its row now
/// (nulls: deleted), and the workspace's last cursor, in one statement (one snapshot); nothing
/// changed: one row with the cursor.
pub(crate) fn board_changes_sql(dialect: Dialect) -> String {
    let order = creation_order(dialect);
    let id = match dialect {
        Dialect::Sqlite => "COALESCE(json_extract(payload, '$.elementId'), json_extract(payload, '$.element.id'))",
        Dialect::Postgres => "COALESCE(payload::json->>'elementId', payload::json->'element'->>'id')",
    };
    format!(
        "SELECT w.last_cursor, c.id, e.{order}, e.data FROM workspaces w
         LEFT JOIN (SELECT DISTINCT {id} AS id FROM events
                    WHERE workspace_id = $1 AND cursor > $2 AND kind IN ({ELEMENT_KINDS})) c ON 1 = 1
         LEFT JOIN elements e ON e.workspace_id = w.id AND e.id = c.id
         WHERE w.id = $1 AND w.deleted_at IS NULL"
    )
}

/// The column that orders a workspace's elements oldest first.
fn creation_order(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "rowid",
        Dialect::Postgres => "seq",
    }
}

/// The SQL for a value that may be missing, without binding NULL: sqlx's `Any` driver gives
/// a NULL parameter a type of its own, and PostgreSQL keeps the parameter types a connection
/// first prepared a statement with, so a statement first run with a NULL refuses a number later
/// ("incorrect binary data format"). A missing value is the literal `NULL` (a statement of its
/// own); a present one the next placeholder after `n`.
pub(crate) fn maybe(present: bool, n: &mut usize) -> String {
    if !present {
        return "NULL".into();
    }
    *n += 1;
    format!("${n}")
}

/// The values of the four box columns, `min_x, min_y, max_x, max_y` (see [`maybe`]).
pub(crate) fn box_values(b: Option<BoundingBox>, n: &mut usize) -> [String; 4] {
    [(); 4].map(|_| maybe(b.is_some(), n))
}

/// Bind a box's four values, if there is a box.
pub(crate) fn bind_box(s: Stmt, b: Option<BoundingBox>) -> Stmt {
    match b {
        Some(b) => s.bind(b.x).bind(b.y).bind(b.x + b.width).bind(b.y + b.height),
        None => s,
    }
}

/// The statement recording an element's state after an event (`None`: deleted) at `cursor`
/// (`None`: the workspace's last, as the event's transaction has just set it). Recording one
/// that is there already (the start-up backfill racing a write) changes nothing.
pub(crate) fn insert_version(
    ws: &WorkspaceId,
    id: &ElementId,
    cursor: Option<i64>,
    at: i64,
    state: Option<&Element>,
) -> Result<Stmt> {
    let b = state.and_then(Element::top_level_box);
    let mut n = 3;
    let cursor_value = match cursor {
        Some(_) => maybe(true, &mut n),
        None => "w.last_cursor".to_string(),
    };
    let data = maybe(state.is_some(), &mut n);
    let boxed = box_values(b, &mut n).join(", ");
    let mut s = Stmt::new(format!(
        "INSERT INTO element_versions (workspace_id, element_id, at, cursor, data, min_x, min_y, max_x, max_y)
         SELECT $1, $2, $3, {cursor_value}, {data}, {boxed} FROM workspaces w WHERE w.id = $1
         ON CONFLICT (workspace_id, element_id, cursor) DO NOTHING"
    ))
    .bind(ws.as_str())
    .bind(id.as_str())
    .bind(at);
    if let Some(cursor) = cursor {
        s = s.bind(cursor);
    }
    if let Some(state) = state {
        s = s.bind(to_json(state)?);
    }
    Ok(bind_box(s, b))
}
