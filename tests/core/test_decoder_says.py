"""What the decoder saw, live: the SSE tour's comments and oddities come out of the engine as
``comment`` and ``notice`` records between its events (what ``capture`` prints and captures
keep), and Diagnostics finds them from those records alone."""

from __future__ import annotations

from stream_core.analysis.aggregate import StreamAggregate
from stream_core.net.spec import Mode, RequestSpec
from tests.core.conftest import collect


def test_the_tour_says_its_comments_and_oddities(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/sse/tour?interval=0", mode=Mode.SSE))
    comments = [c.to_json() for c in cap.of("comment")]
    assert comments[0]["text"] == "welcome to the Stream Inspector SSE tour (this line is a comment)"
    assert all(c["text"] == "ping" for c in comments[1:])
    notices = [(n.code, n.detail) for n in cap.of("notice")]
    assert notices == [("unknown-field", "foo"), ("invalid-retry", "soon")]
    assert len(cap.of("event")) == 11 and cap.end.events == 11  # comments are not events
    types = cap.types
    assert types.index("notice") > types.index("event") and types[-1] == "end"
    aggregate = StreamAggregate()
    aggregate.feed(cap.records)
    found = {f.code for f in aggregate.diagnostics.findings()}
    assert {"unknown-fields", "invalid-retry"} <= found


def test_a_stream_ending_inside_an_event_says_so(demo_server: str) -> None:
    cap = collect(RequestSpec(f"{demo_server}/faults/no-blank-line", mode=Mode.SSE))
    [notice] = cap.of("notice")
    assert notice.code == "unfinished-event" and notice.chunk == len(cap.of("chunk")) - 1
    assert cap.types.index("notice") == len(cap.records) - 2  # just before the end
