"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

from pathlib import Path

import pyotp

AXE_JS = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"
PHONE = {"width": 390, "height": 844}


def axe_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page and return the violations of the given impacts. A page still loading (a
    form just posted) is waited for: axe run while the document is replaced finds no document (CI, once)."""
    page.wait_for_load_state("load")
    page.evaluate(AXE_JS.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def go_offline(page) -> None:
    """Cut the phone's network and wait until the page knows it: Chromium tells the page a moment after the
    emulation starts, and a scan made in between is sent at once (CI, once: a lead reached the server)."""
    page.context.set_offline(True)
    page.wait_for_function("() => navigator.onLine === false")


def htmx_settled(page) -> None:
    """Wait until no htmx request, swap or settle is under way (new content is wired only once settled)."""
    # A function, not an expression: an expression would be compiled in the page, which its CSP forbids.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def staff_login(page, user, password: str = "correct-horse-battery") -> None:  # noqa: S107 - UserFactory's
    """Log a staff member in through the real login page (no two-factor step for their role)."""
    page.goto("/staff/login/")
    page.get_by_label("E-mail ou identifiant").fill(user.username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/staff/")


def admin_login(page, user, password: str = "correct-horse-battery") -> None:  # noqa: S107 - UserFactory's
    """Log in a staff member whose role needs two factors: the login page, then the enrolment of the
    authenticator (its code computed from the secret the page shows)."""
    page.goto("/staff/login/")
    page.get_by_label("E-mail ou identifiant").fill(user.username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/staff/2fa/setup/**")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code à 6 chiffres").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activer").click()
    page.wait_for_url("**/staff/")
