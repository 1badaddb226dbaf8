"""What the browser tests of flows across several phones share: a phone signed in on the
demo's first site, and the problems noticed on the way (script errors, screen checks),
reported at the end of the flow."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import MIN_TARGET, check_screen, sign_in
from playwright.sync_api import BrowserContext, Page

SITE_NAME = "浦东滨江花园二期"  # the demo's first site: its manager, supervisor, foreman, workers 1-30
SITE_CENTRE = {"latitude": 31.2304, "longitude": 121.5051, "accuracy": 15}


def first_site_id(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        (site_id,) = connection.execute("SELECT id FROM site WHERE name = ?", (SITE_NAME,)).fetchone()
    return site_id


# A radio drawn as a big tile (kind, severity) is invisible and 1 px wide on purpose: the
# tile, its <label>, is what the thumb taps. These lines of check_screen's report are dropped.
_TILE_INPUTS = """
(min) => [...document.querySelectorAll("label input")].filter(input => {
  const label = input.closest("label").getBoundingClientRect();
  return getComputedStyle(input).opacity === "0" && label.width >= min && label.height >= min;
}).map(input => input.outerHTML.slice(0, 80))
"""

# What check_screen does not look at: the bottom tabs (one current tab, labels apart) and
# a page wider than the phone.
_LAYOUT = """
() => {
  const found = [], tabs = [...document.querySelectorAll(".tabbar a")];
  const current = tabs.filter(a => a.getAttribute("aria-current") === "page");
  if (current.length > 1) {
    found.push(`${current.length} tabs marked current: ${current.map(a => a.innerText.trim()).join(", ")}`);
  }
  const labels = tabs.map(a => [a.innerText.trim(), a.querySelector("span").getBoundingClientRect()]);
  for (let i = 1; i < labels.length; i++) {
    const gap = labels[i][1].left - labels[i - 1][1].right;
    if (gap < 2) {
      const pair = `"${labels[i - 1][0]}" and "${labels[i][0]}"`;
      found.push(`tab labels ${pair} run together (${gap.toFixed(1)} px apart)`);
    }
  }
  if (document.documentElement.scrollWidth > innerWidth) {
    found.push(`the page is wider than the phone: ${document.documentElement.scrollWidth} px`);
  }
  return found;
}
"""


class Findings:
    """Script errors of every phone and the screen checks, reported at the end so that one
    screen's layout problem does not hide whether the flow makes it to its end."""

    def __init__(self, log: Path) -> None:
        self.problems: list[str] = []
        self.log = log
        self._log_start = log.stat().st_size if log.exists() else 0

    def watch(self, page: Page, who: str) -> None:
        def console(message) -> None:
            # Requests refused while the phone is cut off are what the offline part is about.
            if message.type == "error" and "net::ERR_" not in message.text:
                where = message.location.get("url", "")
                self.problems.append(f"{who}: console error: {message.text} ({where})")

        page.on("pageerror", lambda error: self.problems.append(f"{who}: script error: {error}"))
        page.on("console", console)

    def screen(self, page: Page, name: str) -> None:
        """conftest's check_screen (axe, 44 px targets, a screenshot) and the layout checks
        above, noted rather than raised."""
        # From the top: a full-page shot of a scrolled page draws the sticky bar mid-page.
        page.evaluate("() => window.scrollTo(0, 0)")
        report: list[str] = []
        try:
            check_screen(page, name)
        except AssertionError as problem:
            tiles = {f"{html}…" for html in page.evaluate(_TILE_INPUTS, MIN_TARGET)}
            lines = str(problem).split("\nassert ")[0].splitlines()[1:]
            lines = [line for line in lines if not any(line.strip().startswith(tile) for tile in tiles)]
            report += [
                line
                for i, line in enumerate(lines)
                if line.startswith("  ") or (i + 1 < len(lines) and lines[i + 1].startswith("  "))
            ]
        report += [f"  {line}" for line in page.evaluate(_LAYOUT)]
        if report:
            self.problems.append(f"{name} ({page.url}):\n" + "\n".join(report))

    def server_log(self) -> str:
        """The server's log since this flow began (its last 80 lines)."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as log:
            log.seek(self._log_start)
            text = log.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-80:])

    def assert_none(self) -> None:
        if self.problems:
            pytest.fail("\n\n".join(self.problems), pytrace=False)


def signed_in(
    phone_context, locale: str, who: str, number: str, secret: str, findings: Findings
) -> tuple[BrowserContext, Page]:
    """A phone on the first site (location granted), watched, signed in as `number`."""
    context = phone_context(locale)
    context.grant_permissions(["geolocation"])
    context.set_geolocation(SITE_CENTRE)
    page = context.new_page()
    findings.watch(page, who)
    sign_in(page, number, secret)
    return context, page
