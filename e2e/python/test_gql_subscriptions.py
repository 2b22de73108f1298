"""Subscriptions from Python's gql over WebSocket, in both protocols, with an OAuth access token."""
import asyncio
import os
from contextlib import aclosing

import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from tessera_browser import BASE, bot_creates_text, user_token

COMMANDS = gql("""
subscription($ws: String!, $cursor: ID) {
  commands(workspaceId: $ws, cursor: $cursor) {
    __typename cursor actorType
    ... on CreateElementCommand { element { id ... on Text { text } } }
  }
}""")
WS_URL = BASE.replace("http://", "ws://") + "/v3/graphql"
WORKSPACE = os.environ["TESSERA_WORKSPACE"]


def transport(token: str, protocol: str) -> WebsocketsTransport:
    return WebsocketsTransport(url=WS_URL, init_payload={"Authorization": f"Bearer {token}"}, subprotocols=[protocol])


async def collect(token: str, protocol: str, cursor, expect_texts: set, writes=()) -> list:
    """Subscribe, make `writes` once subscribed, and collect commands until every text in
    `expect_texts` has arrived."""
    got = []
    async with Client(transport=transport(token, protocol)) as session:
        stream = session.subscribe(COMMANDS, variable_values={"ws": WORKSPACE, "cursor": cursor})

        async def write_later():
            await asyncio.sleep(0.3)
            for text in writes:
                await asyncio.to_thread(bot_creates_text, text)

        writer = asyncio.create_task(write_later())
        async with aclosing(stream):  # stop the subscription before the session closes
            async for result in stream:
                got.append(result["commands"])
                texts = {c["element"]["text"] for c in got if c["__typename"] == "CreateElementCommand"}
                if expect_texts <= texts:
                    break
        await writer
    return got


@pytest.mark.parametrize("protocol", [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL])
def test_live_event_then_resume_from_cursor_without_loss(protocol):
    token = user_token()["access_token"]
    live = f"live {protocol}"
    # Live: a bot's write arrives.
    first = asyncio.run(asyncio.wait_for(collect(token, protocol, None, {live}, writes=[live]), 20))
    assert first[-1]["element"]["text"] == live
    assert first[-1]["actorType"] == "bot"
    last_cursor = int(first[-1]["cursor"])
    # Disconnected: more writes happen meanwhile.
    missed = [f"{protocol} while away {i}" for i in range(5)]
    missed_ids = [bot_creates_text(t) for t in missed]
    after = f"{protocol} after resume"
    # Resume from the last cursor: exactly the missed events, in order, then live again.
    resumed = asyncio.run(asyncio.wait_for(collect(token, protocol, str(last_cursor), set(missed) | {after}, writes=[after]), 20))
    cursors = [int(c["cursor"]) for c in resumed]
    assert cursors == list(range(last_cursor + 1, last_cursor + 1 + len(cursors))), cursors
    ids = [c["element"]["id"] for c in resumed]
    assert ids[:5] == missed_ids
    assert resumed[-1]["element"]["text"] == after
