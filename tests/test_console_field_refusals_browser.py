"""In Chromium, at 1366 and 390 px, in Hindi and English: a refused account (new, and an
account's row) and a refused new grievance say each refusal under its own field, inside
that field's block, overlapping nothing and scrolling nothing sideways. Screenshots go
to test-artifacts/ for a person to look at."""

from __future__ import annotations

import pytest

from locales import render
from tests.factories import make_hospital
from tests.fixtures_browser import console_page, fits, shot, sign_in
from tests.fixtures_console import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]
WIDTHS = (1366, 390)

# Every ``.field-error`` on the page, checked where it is drawn: inside its field's block
# (the parent: a table cell or the form's field), below the field it names, its text
# wrapped within it, and overlapping no form control. Returns what is wrong.
PLACED = """() => {
  const wrong = [];
  const controls = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')];
  const boxes = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
                          && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  for (const message of document.querySelectorAll('.field-error')) {
    const m = message.getBoundingClientRect();
    const block = message.parentElement.getBoundingClientRect();
    if (m.left < block.left - 1 || m.right > block.right + 1 || m.bottom > block.bottom + 1)
      wrong.push(`${message.id}: outside its block`);
    if (message.scrollWidth > message.clientWidth + 1)
      wrong.push(`${message.id}: text overflows`);
    const named = controls.filter(c => (c.getAttribute('aria-describedby') || '')
                                       .split(' ').includes(message.id));
    if (named.length !== 1) wrong.push(`${message.id}: named by ${named.length} fields`);
    else if (named[0].getBoundingClientRect().bottom > m.top + 1)
      wrong.push(`${message.id}: not below its field`);
    for (const c of controls)
      if (boxes(m, c.getBoundingClientRect())) wrong.push(`${message.id}: overlaps ${c.name}`);
  }
  return wrong;
}"""


def _messages_said(page) -> list[str]:
    return page.locator(".field-error").all_inner_texts()


@pytest.fixture
def admin_desk(served):
    base, helpline = served
    with helpline.session() as s:
        make_hospital(s, name_en="Lok Nayak Hospital", name_hi="लोक नायक अस्पताल")
        for lang in ("en", "hi"):
            make_staff(s, f"admin.{lang}", role="admin", display_name="Helpline Admin",
                       language=lang)
        asha = make_staff(s, "asha.v", display_name="Asha Verma", language="hi")
        asha_id = asha.id
    return base, asha_id


def _tamper_language(page, selector: str) -> None:
    """What a forged form sends: a language that is not on the list."""
    page.evaluate("""(selector) => {
        const select = document.querySelector(selector);
        select.add(new Option('français', 'fr'));
        select.value = 'fr';
        for (const form of document.forms) form.noValidate = true;
    }""", selector)


@pytest.mark.parametrize("width", WIDTHS)
def test_refusals_sit_under_their_fields_in_both_languages(admin_desk, browser, width):
    base, asha_id = admin_desk
    problems: dict[str, list[str]] = {}
    for lang in ("en", "hi"):
        context, page = console_page(browser, width)
        sign_in(page, base, f"admin.{lang}", lang)

        # A new account: a username taken, a forged language, half a mobile, a short
        # password.
        page.goto(f"{base}/console/admin/users")
        page.fill("#nu-username", "asha.v")
        page.fill("#nu-name", "मोहम्मद आरिफ़ (Mohd. Arif)")
        page.fill("#nu-phone", "98100")
        page.fill("#nu-password", "short")
        _tamper_language(page, "#nu-lang")
        page.click("#create-user button[type=submit]")
        page.wait_for_selector("#form-refused")
        assert _messages_said(page) == [render(lang, key) for key in (
            "console.err.conflict.username", "console.err.invalid_input.language",
            "console.err.invalid_mobile.invalid", "console.err.password_too_short")]
        assert page.input_value("#nu-name") == "मोहम्मद आरिफ़ (Mohd. Arif)"
        problems[f"new-{lang}"] = page.evaluate(PLACED) + ([] if fits(page) else ["wide"])
        page.locator("#create-user").screenshot(
            path=str(_artifact(f"refused-new-account-{lang}-{width}")))
        shot(page, f"refused-accounts-{lang}-{width}")

        # An account's row: a landline, no such hospital, a forged language.
        row = f"user-{asha_id}"
        page.fill(f"input[form={row}][name=phone]", "011 2345 6789")
        page.evaluate("""(row) => {
            const hospital = document.querySelector(`select[form=${row}][name=hospital]`);
            hospital.add(new Option('?', '999999'));
            hospital.value = '999999';
        }""", row)
        _tamper_language(page, f"select[form={row}][name=language]")
        page.click(f"button[form={row}]")
        page.wait_for_selector(f"#{row}-phone-error")
        assert _messages_said(page) == [render(lang, key) for key in (
            "console.err.invalid_input.language", "console.err.invalid_mobile.not_mobile",
            "console.err.invalid_input.hospital")]
        problems[f"row-{lang}"] = page.evaluate(PLACED) + ([] if fits(page) else ["wide"])
        page.locator(f"tr:has(button[form={row}])").screenshot(
            path=str(_artifact(f"refused-account-row-{lang}-{width}")))
        shot(page, f"refused-account-row-page-{lang}-{width}")

        # A new grievance: half a mobile, a forged language, one word.
        page.goto(f"{base}/console/grievances/new")
        page.fill("#phone", "12345")
        page.fill("#description", "a")
        _tamper_language(page, "#language")
        page.click("#main form.stack button[type=submit]")
        page.wait_for_selector("#form-refused")
        assert _messages_said(page) == [
            render(lang, "console.err.invalid_mobile.invalid"),
            render(lang, "console.err.invalid_input.language"),
            render(lang, "console.err.description_too_short", min_words=2, min_letters=8)]
        problems[f"grievance-{lang}"] = page.evaluate(PLACED) + (
            [] if fits(page) else ["wide"])
        shot(page, f"refused-new-grievance-{lang}-{width}")
        context.close()
    assert problems == {name: [] for name in problems}, problems


def _artifact(name: str):
    from tests.fixtures_browser import ARTIFACTS

    return ARTIFACTS / f"console-{name}.png"
