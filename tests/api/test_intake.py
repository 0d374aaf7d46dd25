"""The intake pipeline through real HTTP: refusals, retours, resends, TR056/TR135, feeds."""

from __future__ import annotations

from datetime import date

from lxml import etree

from testkit import messages as m

GEMEENTE, AGB, OTHER_AGB = "0363", "12345678", "87654321"
NS306 = "{http://www.istandaarden.nl/ijw/3_2/jw306/schema}"


def setup(api):
    return (
        api.add_party("gemeente", GEMEENTE),
        api.add_party("aanbieder", AGB),
        api.add_party("aanbieder", OTHER_AGB),
    )


def start(ident="S1", **kw) -> bytes:
    return m.xml("JW305", m.jw305_for(AGB, GEMEENTE, ident, client_bsn=m.bsn(1), **kw))


def test_no_or_unknown_token_is_401(api):
    setup(api)
    assert api.client.post("/v1/berichten", content=start()).status_code == 401
    r = api.post("not-a-token", start())
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"


def test_accepted_start_gets_a_header_copy_retour(api):
    gemeente, provider, _ = setup(api)
    # TR019: a start refers to an allocation of this client, so the gemeente allocates first.
    api.post(gemeente, m.xml("JW301", m.jw301_for(GEMEENTE, AGB, "A1", client_bsn=m.bsn(1))))
    r = api.post(provider, start())
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    root = etree.fromstring(r.content)
    assert root.tag.endswith("Bericht") and NS306 in root.tag
    head = root.find(f"{NS306}Header")
    assert head.findtext(f"{NS306}BerichtCode") == "439"
    assert head.findtext(f"{NS306}Afzender") == AGB  # copied, not swapped (IV028)
    assert head.find(f"{NS306}RetourCodes") is None and root.find(f"{NS306}Client") is None
    assert head.findtext(f"{NS306}IdentificatieRetour")


def test_future_dagtekening_is_8848_header_only(api):
    _, provider, _ = setup(api)
    r = api.post(provider, start(day=date(2026, 6, 16)))  # the pinned today is 2026-06-15
    codes = [e.text for e in etree.fromstring(r.content).iter(f"{NS306}RetourCode")]
    assert codes == ["8848"]


def test_reused_identificatie_with_other_content_is_9056(api):
    _, provider, _ = setup(api)
    assert api.post(provider, start("DUP")).status_code == 200
    r = api.post(provider, start("DUP", begindatum=date(2026, 2, 3)))
    codes = [e.text for e in etree.fromstring(r.content).iter(f"{NS306}RetourCode")]
    assert codes == ["9056"]


def test_byte_identical_resend_returns_stored_answer_and_changes_nothing(api):
    gemeente, provider, _ = setup(api)
    body = start("R1")
    first = api.post(provider, body)
    feed_before = api.poll(provider).json()["items"]
    second = api.post(provider, body)
    assert second.status_code == first.status_code and second.content == first.content
    assert second.headers.get("x-resend") == "true"
    assert api.poll(provider).json()["items"] == feed_before
    assert len(api.poll(gemeente).json()["items"]) == 1


def test_header_must_name_the_caller(api):
    _, _provider, other = setup(api)
    r = api.post(other, start())  # Afzender is AGB, caller is OTHER_AGB
    assert r.status_code == 403 and r.json()["code"] == "IB002"


def test_header_is_checked_before_the_role(api):
    _, provider, _ = setup(api)
    # a provider posting a JW301 whose Afzender is the gemeente: the header names someone else
    r = api.post(provider, m.xml("JW301", m.jw301_for(GEMEENTE, AGB, "T1", client_bsn=m.bsn(1))))
    assert r.status_code == 403 and r.json()["code"] == "IB002"


def test_role_may_not_send_type(api):
    _, provider, _ = setup(api)
    # a JW306 names the provider as Afzender (header copy), but only we build retours
    forward = m.jw305_for(AGB, GEMEENTE, "S9", client_bsn=m.bsn(1))
    retour = m.retour_of(forward, "JW306", "R9", date(2026, 3, 2))
    r = api.post(provider, m.xml("JW306", retour))
    assert r.status_code == 403 and r.json()["code"] == "IB008"


def test_unknown_addressee_is_refused(api):
    _, provider, _ = setup(api)
    body = m.xml("JW305", m.jw305_for(AGB, "0518", "X1", client_bsn=m.bsn(1)))
    r = api.post(provider, body)
    assert r.status_code == 422 and r.json()["code"] == "IB005"


def test_xsd_invalid_lists_every_error(api):
    _, provider, _ = setup(api)
    body = start().replace(
        b"<jw305:Geslacht>1</jw305:Geslacht>", b"<jw305:Geslacht>7</jw305:Geslacht>"
    )
    body = body.replace(b"<jw305:StatusAanlevering>1<", b"<jw305:StatusAanlevering>x<")
    r = api.post(provider, body)
    assert r.status_code == 422 and r.json()["code"] == "IB014"
    errors = r.json()["errors"]
    assert len(errors) == 2 and all(e["line"] and e["location"] and e["message"] for e in errors)
    assert r.headers["content-type"] == "application/problem+json"


def test_garbage_wrong_namespace_and_encoding(api):
    _, provider, _ = setup(api)
    assert api.post(provider, b"\x00\x01garbage").json()["code"] == "BRS14"
    wrong = start().replace(b"jw305/schema", b"jw999/schema")
    r = api.post(provider, wrong)
    assert r.status_code == 400 and r.json()["code"] == "IB004"
    latin = start().replace(b"UTF-8", b"ISO-8859-1")
    assert api.post(provider, latin).status_code == 400
    utf16 = start().decode().replace("UTF-8", "UTF-16").encode("utf-16")
    assert api.post(provider, utf16).status_code == 400


def test_xxe_and_entity_bomb_fail_fast_and_harmlessly(api, tmp_path):
    _, provider, _ = setup(api)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]><x>&e;</x>'
    ).encode()
    r = api.post(provider, xxe)
    assert r.status_code == 400 and b"TOPSECRET" not in r.content
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">'
            for i in range(1, 10)
        )
        + "]><lolz>&lol9;</lolz>"
    ).encode()
    r = api.post(provider, bomb)
    assert r.status_code == 400 and r.json()["code"] == "BRS14"
    assert api.client.get("/healthz").status_code == 200


def test_body_over_25_mb_is_413_ib003(api):
    _, provider, _ = setup(api)
    r = api.post(provider, b"<" + b"x" * (30 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["code"] == "IB003"


def test_feeds_are_private_and_ordered(api):
    gemeente, provider, other = setup(api)
    for i in range(5):
        api.post(provider, start(f"F{i}", begindatum=date(2026, 2, 1 + i)))
    seen, cursor = [], "0"
    while True:
        page = api.poll(provider, cursor, limit=2).json()
        if not page["items"]:
            break
        seen += [i["message_type"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["JW306"] * 5
    assert api.poll(other).json()["items"] == []  # another provider sees nothing
    inbound = api.poll(gemeente).json()["items"]
    assert [i["message_type"] for i in inbound] == ["JW305"] * 5
    cursors = [int(i["cursor"]) for i in inbound]
    assert cursors == sorted(cursors) and len(set(cursors)) == 5


def test_provider_cannot_read_another_providers_message(api):
    _, provider, other = setup(api)
    r = api.post(provider, start())
    mid = r.headers["x-message-id"]
    assert (
        api.client.get(
            f"/v1/berichten/{mid}", headers={"Authorization": f"Bearer {other}"}
        ).status_code
        == 404
    )
    own = api.client.get(f"/v1/berichten/{mid}", headers={"Authorization": f"Bearer {provider}"})
    assert own.status_code == 200 and own.json()["message_type"] == "JW305"


def test_gemeente_sends_301_and_provider_answers_302(api):
    gemeente, provider, other = setup(api)
    data = m.jw301_for(GEMEENTE, AGB, "T301", client_bsn=m.bsn(2))
    r = api.post(gemeente, m.xml("JW301", data))
    assert r.status_code == 200 and r.json()["status"] == "sent"
    items = api.poll(provider).json()["items"]
    assert [i["message_type"] for i in items] == ["JW301"]
    assert api.poll(other).json()["items"] == []
    retour = m.retour_of(data, "JW302", "P1", date(2026, 1, 21))
    r = api.post(provider, m.xml("JW302", retour))
    assert r.status_code == 200, r.text
    assert r.json()["answers"] == items[0]["message_id"]
    assert [i["message_type"] for i in api.poll(gemeente).json()["items"]] == ["JW302"]


def test_comments_inside_values_give_a_valid_retour_without_them(api):
    _, provider, _ = setup(api)
    body = start("C1").replace(
        b"<ijw:BasisschemaXsdVersie>0.1.0<", b"<ijw:BasisschemaXsdVersie>0.1<!--x-->.0<"
    )
    body = body.replace(b"<ijw:Dagtekening>2026-03-01<", b"<ijw:Dagtekening>2026<?pi?>-03-01<")
    assert b"<!--x-->" in body and b"<?pi?>" in body
    r = api.post(provider, body)  # no allocation: 9019, so the whole client is copied back
    assert r.status_code == 200, r.text
    assert b"<!--" not in r.content and b"<?pi" not in r.content
    root = etree.fromstring(r.content)
    assert root.findtext(f".//{NS306}XsdVersie/*") == "0.1.0"
    codes = [e.text for e in root.iter(f"{{{root.nsmap['ijw']}}}RetourCode")] or [
        e.text for e in root.iter(f"{NS306}RetourCode")
    ]
    assert "9019" in codes
