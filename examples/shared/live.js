// A live view of one workspace over the `commands` subscription (graphql-ws client).
//
// - Starts from cursor 0, so the server replays the workspace's whole history and then goes
//   live: the view is built from the log alone, with no gap between a snapshot and the stream.
// - Remembers the last cursor it applied. graphql-ws re-sends the same subscribe payload after
//   a dropped connection; the cursor is updated in that payload, so the server resumes after it.
//   Anything at or below the last cursor is ignored, so nothing is applied twice.
// - Keeps its token fresh: shortly before the access token expires it asks `tokens.refresh()`
//   for a new one and presents it on the open socket (`ping` with an Authorization payload);
//   the subscription is not interrupted. If the server closes the socket anyway (4401/4403:
//   expired or revoked), it refreshes once and resubscribes from the last cursor; if that
//   fails, access was withdrawn.
import { createClient } from 'graphql-ws';

// Every field the board draws: whole elements when they are created, and the fields an update
// changed (only those are non-null). A stroke's or an image's transform has one `scale`; it is
// read twice, as `scaleX` and `scaleY`, so that it merges like any other transform. A shape's
// `text` and an icon's `style` are nullable where other types' are not, so they are read under
// other names (fields of one name must have one type) and named back when applied.
export const COMMANDS = `subscription Live($workspaceId: String!, $cursor: ID) {
  commands(workspaceId: $workspaceId, cursor: $cursor) {
    __typename cursor actorType
    ... on CreateElementCommand {
      element {
        id type zIndex pinned transform { x y scaleX scaleY }
        ... on Text { text style { width height fontSize fontFamily color { ...C } backgroundColor { ...C } verticalAlign textTransform } }
        ... on Shape { kind shapeText: text mirrorX mirrorY style { ...ShapeLook } textStyle { fontSize fontFamily verticalAlign color { ...C } } }
        ... on Canvas { name style { width height borderColor { ...C } fillColor { ...C } showName } }
        ... on Stroke { points style { color { ...C } strokeWidth brushType } }
        ... on Line { start { ...P } end { ...P } controlPoints { ...P } routing style { ...LineLook } }
        ... on Image { title width height ingestionState }
        ... on Document { title width height ingestionState }
        ... on Video { title width height ingestionState }
        ... on Browser { url style { width height } }
        ... on Grid { rowCount columnCount style { cellWidth cellHeight horizontalCellMargin verticalCellMargin } }
        ... on Icon { assetPath width height iconStyle: style { color { ...C } } }
        ... on Window { style { width height } }
        ... on Attachable { surface { id } }
      }
    }
    ... on UpdateElementCommand {
      elementId
      data {
        __typename zIndex pinned
        ... on UpdateText { transform { x y scaleX scaleY } text style { width height fontSize fontFamily color { ...C } backgroundColor { ...C } verticalAlign } }
        ... on UpdateShape { transform { x y } kind text mirrorX mirrorY style { ...UpdateShapeLook } textStyle { fontSize fontFamily verticalAlign color { ...C } } }
        ... on UpdateCanvas { transform { x y } name style { width height borderColor { ...C } fillColor { ...C } showName } }
        ... on UpdateStroke { transform { x y scaleX: scale scaleY: scale } }
        ... on UpdateLine { start { ...P } end { ...P } controlPoints { ...P } routing style { strokeColor { ...C } strokeStyle strokeWidth startCap endCap } }
        ... on UpdateImage { transform { x y scaleX: scale scaleY: scale } }
        ... on UpdateDocument { transform { x y scaleX: scale scaleY: scale } }
        ... on UpdateVideo { transform { x y scaleX: scale scaleY: scale } }
        ... on UpdateBrowser { transform { x y scaleX: scale scaleY: scale } url style { width height } }
        ... on UpdateGrid { transform { x y } rowCount columnCount style { cellWidth cellHeight horizontalCellMargin verticalCellMargin } }
        ... on UpdateIcon { transform { x y scaleX: scale scaleY: scale } style { color { ...C } } }
        ... on UpdateWindow { transform { x y scaleX: scale scaleY: scale } }
        ... on UpdateAttachable { surface }
      }
    }
    ... on AttachCommand { elementId surfaceId zIndex transform { x y scaleX scaleY } }
    ... on DetachCommand { elementId zIndex transform { x y scaleX scaleY } }
    ... on DeleteElementCommand { elementId }
    ... on UploadAssetCommand { elementId ingestionState }
  }
}
fragment C on Color { r g b a }
fragment P on LinePoint { __typename ... on AbsoluteLinePoint { x y } ... on AnchorLinePoint { id u v } }
fragment ShapeLook on ShapeStyle {
  __typename width height fillColor { ...C } ... on RegularShapeStyle { strokeWidth strokeColor { ...C } }
}
fragment UpdateShapeLook on UpdateShapeStyle {
  __typename width height fillColor { ...C } ... on UpdateRegularShapeStyle { strokeWidth strokeColor { ...C } }
}
fragment LineLook on LineStyle { strokeColor { ...C } strokeStyle strokeWidth startCap endCap }`;

/** An image's, document's or video's asset once processed: its real size, the transform that
 * fits it in its box, and a (signed, expiring) URL of its preview. */
export const ASSET = `query Asset($workspaceId: String!, $id: String!) {
  elements(workspaceId: $workspaceId, id: $id) {
    transform { x y scaleX scaleY }
    ... on AssetBacked { width height ingestionState preview { url(scale: Medium) } }
  }
}`;

/** Thrown by a token source when the user's access is gone (revoked, expired refresh token). */
export class AccessWithdrawn extends Error {}

const AUTH_CLOSE_CODES = [4401, 4403];

/**
 * Open a live view.
 * - `tokens.current()` → `{ token, expiresAt }` (ms since the epoch), the token to use now;
 * - `tokens.refresh()` → a new one, or throws `AccessWithdrawn`;
 * - `on.command(cmd)`, `on.status(text)`, `on.withdrawn(reason)`, `on.error(message)`.
 * Returns `{ close() }`.
 */
export function openLiveView({ graphqlUrl, workspaceId, tokens, on }) {
  const payload = { query: COMMANDS, variables: { workspaceId, cursor: '0' } };
  let token = null;
  let client = null;
  let socket = null;
  let timer = null;
  let closed = false;

  const stop = () => {
    closed = true;
    clearTimeout(timer);
    client?.dispose();
  };

  const withdrawn = (reason) => {
    stop();
    on.withdrawn(reason);
  };

  // Present a fresh token on the open socket a little before the current one expires.
  const scheduleReauth = () => {
    clearTimeout(timer);
    const left = token.expiresAt - Date.now();
    const margin = Math.min(60_000, Math.max(1_000, left / 4));
    timer = setTimeout(async () => {
      try {
        token = await tokens.refresh();
      } catch (e) {
        if (e instanceof AccessWithdrawn) return withdrawn('access was withdrawn');
        on.status('could not refresh the token; retrying');
        timer = setTimeout(scheduleReauth, 2_000);
        return;
      }
      if (socket?.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ type: 'ping', payload: { Authorization: `Bearer ${token.token}` } }));
      }
      scheduleReauth();
    }, Math.max(0, left - margin));
  };

  const connect = () => {
    client = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      // Called for every (re)connection: always the newest token.
      connectionParams: () => ({ Authorization: `Bearer ${token.token}` }),
      retryAttempts: Infinity,
      retryWait: (retries) => new Promise((r) => setTimeout(r, Math.min(250 * 2 ** retries, 5_000))),
      // Network drops are retried (resuming from the cursor); auth refusals are handled below.
      shouldRetry: (e) => !(e && AUTH_CLOSE_CODES.includes(e.code)),
      on: {
        connected: (s) => {
          socket = s;
          on.status('live');
        },
        closed: () => {
          socket = null;
          if (!closed) on.status('reconnecting…');
        },
        pong: (_received, p) => {
          if (p?.reauthenticated) on.status('live (token refreshed)');
        },
      },
    });
    client.subscribe(payload, {
      next: (result) => {
        if (result.errors?.length) {
          on.error(result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
          return;
        }
        const cmd = result.data.commands;
        if (Number(cmd.cursor) <= Number(payload.variables.cursor)) return;
        payload.variables.cursor = cmd.cursor;
        on.command(cmd);
      },
      error: async (err) => {
        if (closed) return;
        if (err && AUTH_CLOSE_CODES.includes(err.code)) {
          // Expired or revoked: one refresh, then resume from the last cursor.
          client.dispose();
          try {
            token = await tokens.refresh();
          } catch {
            return withdrawn('access was withdrawn');
          }
          scheduleReauth();
          return connect();
        }
        const errors = Array.isArray(err) ? err : [err];
        on.error(errors.map((e) => `${e?.extensions?.code ?? 'ERROR'}: ${e?.message ?? e?.reason ?? e}`).join('; '));
        stop();
      },
      complete: () => {
        if (!closed) on.status('ended');
      },
    });
  };

  (async () => {
    try {
      token = await tokens.current();
    } catch {
      return withdrawn('no access');
    }
    scheduleReauth();
    connect();
  })();

  return { close: stop, cursor: () => payload.variables.cursor };
}

/** Apply one command to a Map of element id → element (plain objects), in cursor order. An
 * element attached to another has `surfaceId` (its transform counts from that one's position). */
export function applyCommand(elements, cmd, workspaceId) {
  switch (cmd.__typename) {
    case 'CreateElementCommand': {
      const { surface, shapeText, iconStyle, ...element } = cmd.element;
      if (shapeText !== undefined) element.text = shapeText;
      if (iconStyle !== undefined) element.style = iconStyle;
      elements.set(element.id, { ...element, surfaceId: surface?.id ?? null, cursor: cmd.cursor });
      break;
    }
    case 'UpdateElementCommand': {
      const el = elements.get(cmd.elementId);
      if (!el) break;
      const { surface, ...data } = cmd.data ?? {};
      // The workspace's id as the surface: detached.
      if (typeof surface === 'string') el.surfaceId = surface === workspaceId ? null : surface;
      Object.assign(merged(el, data), { cursor: cmd.cursor });
      break;
    }
    case 'AttachCommand':
    case 'DetachCommand': {
      const el = elements.get(cmd.elementId);
      if (!el) break;
      el.surfaceId = cmd.surfaceId ?? null;
      if (cmd.transform) el.transform = cmd.transform;
      if (cmd.zIndex !== null && cmd.zIndex !== undefined) el.zIndex = cmd.zIndex;
      el.cursor = cmd.cursor;
      break;
    }
    case 'DeleteElementCommand':
      elements.delete(cmd.elementId);
      break;
    case 'UploadAssetCommand': {
      // The asset's state; what processing found (size, preview) is read with `ASSET`.
      const el = elements.get(cmd.elementId);
      if (el) Object.assign(el, { ingestionState: cmd.ingestionState, cursor: cmd.cursor });
      break;
    }
    default:
      break;
  }
}

// What a shape's style starts from when an update switches it to the other variant (the
// server's defaults: the update carries only the fields it set).
const WHITE = { r: 255, g: 255, b: 255, a: 1 };
const BLACK = { r: 0, g: 0, b: 0, a: 1 };
const VARIANT_DEFAULTS = {
  RegularShapeStyle: { width: 600, height: 600, strokeWidth: 8, strokeColor: WHITE, fillColor: BLACK },
  StickyShapeStyle: { width: 600, height: 600, fillColor: BLACK },
};

/** Merge an update's `data` into an element: only non-null fields changed; objects nest. An
 * object of another variant (`__typename`: a shape style, a line point) replaces the old one. */
function merged(target, data) {
  for (const [k, v] of Object.entries(data)) {
    if (v === null || k === '__typename') continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      target[k] = v;
      continue;
    }
    const variant = v.__typename?.replace(/^Update/, '');
    const same = !variant || target[k]?.__typename === variant;
    const start = same ? { ...(target[k] ?? {}) } : { ...(Object.hasOwn(VARIANT_DEFAULTS, variant) ? VARIANT_DEFAULTS[variant] : {}), __typename: variant };
    target[k] = merged(start, v);
  }
  return target;
}

/** GraphQL over HTTP with a bearer token; returns `data` or throws with the error codes. */
export async function graphql(graphqlUrl, token, query, variables = {}) {
  const res = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  if (res.status === 401) throw new AccessWithdrawn('the token was refused');
  const body = await res.json();
  if (body.errors?.length) {
    const err = new Error(body.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    err.codes = body.errors.map((e) => e.extensions?.code);
    throw err;
  }
  return body.data;
}
