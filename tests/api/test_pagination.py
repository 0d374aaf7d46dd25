"""One pagination convention: `items`, `next_cursor`, `has_more`; walking the pages with any
`limit` gives every item exactly once and nothing is cut off silently."""

from __future__ import annotations

from testkit import messages as m

G, AGB = "0363", "12345678"


def _walk(api, token, path, limit):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = api.client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200, page.text
        body = page.json()
        seen.extend(body["items"])
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return seen, pages
        cursor = body["next_cursor"]


def test_allocations_page_by_number(api):
    gemeente = api.add_party("gemeente", G)
    api.add_party("aanbieder", AGB)
    for i in range(5):
        data = m.jw301_for(G, AGB, f"A{i}", client_bsn=m.bsn(10 + i), nummer=2000 + i)
        assert api.post(gemeente, m.xml("JW301", data)).status_code == 200
    everything, _ = _walk(api, gemeente, "/v1/backoffice/toewijzingen", 100)
    assert [a["toewijzingnummer"] for a in everything] == [2000, 2001, 2002, 2003, 2004]
    paged, pages = _walk(api, gemeente, "/v1/backoffice/toewijzingen", 2)
    assert paged == everything and pages == 3


def test_the_feed_says_when_more_is_waiting(api):
    gemeente = api.add_party("gemeente", G)
    provider = api.add_party("aanbieder", AGB)
    for i in range(3):
        data = m.jw301_for(G, AGB, f"F{i}", client_bsn=m.bsn(20 + i), nummer=3000 + i)
        api.post(gemeente, m.xml("JW301", data))
    first = api.poll(provider, "0", limit=2).json()
    assert len(first["items"]) == 2 and first["has_more"] is True
    rest = api.poll(provider, first["next_cursor"], limit=2).json()
    assert len(rest["items"]) == 1 and rest["has_more"] is False
    idle = api.poll(provider, rest["next_cursor"], limit=2).json()
    assert idle["items"] == [] and idle["next_cursor"] == rest["next_cursor"]
