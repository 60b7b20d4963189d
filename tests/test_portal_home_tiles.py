"""The portal's front page has a tile for every part of the portal its header links
(the eHealth card was left out), each with a line saying what it is for, in Hindi and
English."""

from __future__ import annotations

import re

import pytest

from locales import render


@pytest.mark.parametrize("lang", ["hi", "en"])
def test_every_part_of_the_portal_has_its_tile(client, lang):
    client.get(f"/portal/lang/{lang}")
    page = client.get("/portal/").get_data(as_text=True)
    nav = re.search(r'<nav class="wrap nav"[^>]*>(.*?)</nav>', page, re.S)
    tiles = re.search(r'<ul class="tiles">(.*?)</ul>', page, re.S)
    assert nav and tiles
    linked = set(re.findall(r'href="([^"]+)"', nav.group(1)))
    tiled = dict(re.findall(r'<a href="([^"]+)"><strong>[^<]+</strong><span>([^<]+)</span>',
                            tiles.group(1)))
    assert "/portal/card" in linked
    assert set(tiled) == linked
    assert tiled["/portal/card"] == render(lang, "portal.home.card")
    assert f'<strong>{render(lang, "portal.nav.card")}</strong>' in tiles.group(1)
