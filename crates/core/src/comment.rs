//! Comments on elements, in the platform's shape: blocks of inline content (plain text and
//! mentions), an optional parent comment (threads), JSON-LD traits, and who made it.

use crate::error::{Error, Result};
use crate::ids::{CommentId, ElementId, UserId, WorkspaceId};
use crate::model::ActorType;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

pub const MAX_BLOCKS: usize = 100;
pub const MAX_CONTENT_ITEMS: usize = 1_000;
pub const MAX_TEXT_CHARS: usize = 10_000;
const MAX_TARGET_ID_CHARS: usize = 100;

/// One paragraph of a comment: inline items, each `{"text": …}` or
/// `{"mention": {"targetType": "user"|"group"|"all", "targetId": …}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentBlock {
    pub content: Vec<Json>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    pub workspace_id: WorkspaceId,
    /// The element commented on (`None` only for comments stored by an earlier version).
    pub element_id: Option<ElementId>,
    #[serde(default)]
    pub parent_id: Option<CommentId>,
    /// Empty for comments stored by an earlier version: see [`Comment::blocks`].
    #[serde(default)]
    pub blocks: Vec<CommentBlock>,
    /// The blocks' text, a line each.
    pub text: String,
    #[serde(default)]
    pub traits: Option<Json>,
    pub author_id: UserId,
    #[serde(default = "person")]
    pub author_type: ActorType,
    /// The commenter's first and last name when they commented.
    #[serde(default)]
    pub commenter_name: String,
    pub created_at: i64,
}

fn person() -> ActorType {
    ActorType::User
}

impl Comment {
    /// The comment's blocks; for one stored before blocks existed, a block per line of its text.
    pub fn blocks(&self) -> Vec<CommentBlock> {
        if !self.blocks.is_empty() {
            return self.blocks.clone();
        }
        self.text.split('\n').map(|line| CommentBlock { content: vec![json!({"text": line})] }).collect()
    }
}

/// Blocks as given (the platform's `CommentBlockInput` list, as JSON) checked and normalised:
/// newlines dropped from text (as the platform does), each item exactly one of `text` and
/// `mention`, a mention naming its target unless it is `all`. Returns the blocks and their
/// plain text.
pub fn read_blocks(input: &Json) -> Result<(Vec<CommentBlock>, String)> {
    let bad = |m: String| Error::bad_input(m);
    let blocks = input.as_array().ok_or_else(|| bad("blocks must be a list".into()))?;
    if blocks.is_empty() || blocks.len() > MAX_BLOCKS {
        return Err(bad(format!("a comment has 1 to {MAX_BLOCKS} blocks")));
    }
    let (mut out, mut lines, mut chars, mut any) = (Vec::new(), Vec::new(), 0, false);
    for (i, block) in blocks.iter().enumerate() {
        let content = block
            .get("content")
            .and_then(Json::as_array)
            .ok_or_else(|| bad(format!("blocks[{i}].content must be a list")))?;
        if content.len() > MAX_CONTENT_ITEMS {
            return Err(bad(format!("blocks[{i}] has more than {MAX_CONTENT_ITEMS} items")));
        }
        let (mut items, mut line) = (Vec::new(), String::new());
        for (j, item) in content.iter().enumerate() {
            let at = format!("blocks[{i}].content[{j}]");
            let (text, mention) =
                (item.get("text").filter(|v| !v.is_null()), item.get("mention").filter(|v| !v.is_null()));
            match (text, mention) {
                (Some(Json::String(t)), None) => {
                    let t: String = t.chars().filter(|c| *c != '\n' && *c != '\r').collect();
                    any |= !t.trim().is_empty();
                    line.push_str(&t);
                    items.push(json!({"text": t}));
                }
                (None, Some(m)) => {
                    let (shown, mention) = read_mention(&at, m)?;
                    any = true;
                    line.push_str(&shown);
                    items.push(json!({"mention": mention}));
                }
                _ => return Err(bad(format!("{at} must have exactly one of text and mention"))),
            }
        }
        chars += line.chars().count();
        lines.push(line);
        out.push(CommentBlock { content: items });
    }
    if !any {
        return Err(bad("a comment must not be empty".into()));
    }
    if chars > MAX_TEXT_CHARS {
        return Err(bad(format!("a comment's text is longer than {MAX_TEXT_CHARS} characters")));
    }
    Ok((out, lines.join("\n")))
}

/// A mention checked: how it reads in plain text, and its stored form.
fn read_mention(at: &str, m: &Json) -> Result<(String, Json)> {
    let bad = |m: String| Error::bad_input(m);
    let kind = m.get("targetType").and_then(Json::as_str).unwrap_or_default();
    let target = m.get("targetId").filter(|v| !v.is_null());
    match (kind, target) {
        ("all", None) => Ok(("@all".into(), json!({"targetType": "all", "targetId": null}))),
        ("all", Some(_)) => Err(bad(format!("{at}.mention: a mention of all has no targetId"))),
        ("user" | "group", Some(Json::String(id))) if !id.is_empty() && id.chars().count() <= MAX_TARGET_ID_CHARS => {
            Ok((format!("@{id}"), json!({"targetType": kind, "targetId": id})))
        }
        ("user" | "group", _) => Err(bad(format!("{at}.mention: a mention of a {kind} needs its targetId"))),
        _ => Err(bad(format!("{at}.mention.targetType must be user, group or all"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_checked_and_give_plain_text() {
        let input = json!([{"content": [{"text": "hello\nthere "}, {"mention": {"targetType": "user", "targetId": "u1"}}]},
            {"content": [{"mention": {"targetType": "all"}}]}]);
        let (blocks, text) = read_blocks(&input).expect("valid");
        assert_eq!(text, "hellothere @u1\n@all");
        assert_eq!(blocks[0].content[0], json!({"text": "hellothere "}));
        assert_eq!(blocks[1].content[0], json!({"mention": {"targetType": "all", "targetId": null}}));
        for (bad, why) in [
            (json!([]), "no blocks"),
            (json!([{"content": [{"text": "  "}]}]), "only blanks"),
            (json!([{"content": [{"text": "a", "mention": {"targetType": "all"}}]}]), "both"),
            (json!([{"content": [{}]}]), "neither"),
            (json!([{"content": [{"mention": {"targetType": "user"}}]}]), "a user mention without its id"),
            (json!([{"content": [{"mention": {"targetType": "all", "targetId": "x"}}]}]), "all with an id"),
            (json!([{"content": [{"mention": {"targetType": "team", "targetId": "x"}}]}]), "an unknown target"),
            (json!([{"content": [{"text": "x".repeat(MAX_TEXT_CHARS + 1)}]}]), "too long"),
        ] {
            assert!(matches!(read_blocks(&bad), Err(Error::BadInput(_))), "{why} must be refused");
        }
    }

    #[test]
    fn a_comment_from_before_blocks_reads_as_a_block_per_line() {
        let old = json!({"id": "c", "workspace_id": "w", "element_id": "e", "text": "a\nb", "author_id": "u", "created_at": 1});
        let c: Comment = serde_json::from_value(old).expect("an earlier comment still reads");
        assert_eq!((c.author_type, c.parent_id.clone(), c.blocks().len()), (ActorType::User, None, 2));
        assert_eq!(c.blocks()[1].content, vec![json!({"text": "b"})]);
    }
}
