"""The rules every page of a browser test must keep, and how a broken rule
is reported: axe-core (run by ``AXE_CHECK``), page weight on a first load,
hosts, and Content-Security-Policy. ``harness.py`` applies them to every
document a test's pages show."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import Request, Response

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_FAILING_IMPACTS = ("serious", "critical")
PAGE_BUDGET_BYTES = 50 * 1024
HTML_BUDGET_BYTES = 14 * 1024
# Django's GZipMiddleware rightly sends tiny bodies as they are (under 200
# bytes, or when compression would not make them smaller); every real page
# is larger than this.
GZIP_MINIMUM_BYTES = 1024

# Defines window.__peerlightCheck(): axe-core on the document as it is now.
AXE_CHECK = """window.__peerlightCheck = async () => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: __AXE_TAGS__},
    resultTypes: ["violations"],
    restoreScroll: true,
  });
  return {
    url: location.href,
    hidden: Boolean(document.body && document.body.hidden),
    violations: results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      helpUrl: violation.helpUrl,
      nodes: violation.nodes.slice(0, 5).map((node) => ({
        target: node.target.join(" "),
        summary: node.failureSummary,
      })),
    })),
  };
};""".replace("__AXE_TAGS__", json.dumps(AXE_TAGS))

# Added to every document of a context with JavaScript on.
IN_PAGE_RUNNER = """(() => {
  if (window.top !== window || location.origin !== %(origin)s) { return; }
  %(axe)s
  %(check)s
  document.addEventListener("securitypolicyviolation", (event) => {
    window.__peerlightCspViolation(
      `${event.effectiveDirective} blocked ${event.blockedURI || "inline code"}` +
      ` (${event.sourceFile || "the page"}:${event.lineNumber})`
    );
  }, true);
  window.addEventListener("load", async () => {
    let report;
    try {
      report = await window.__peerlightCheck();
    } catch (error) {
      report = {url: location.href, error: String(error)};
    }
    window.__peerlightReport(report);
  });
})();"""

# With JavaScript off the page's timers never fire, and axe waits on them;
# microtasks still run, so they stand in for the timers.
TIMERS_AS_MICROTASKS = """window.setTimeout = (callback, delay, ...args) => {
  Promise.resolve().then(() => callback(...args));
  return 0;
};
window.clearTimeout = () => {};"""


class PageCheckFailure(AssertionError):
    """A page broke one of the rules every page must keep."""


def without_fragment(url: str) -> str:
    return urldefrag(url).url


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def redirect_chain(request: Request) -> Iterator[Request]:
    """``request`` and the requests it was redirected to (routing sees only the first)."""
    current: Request | None = request
    while current is not None:
        yield current
        current = current.redirected_to


def is_html(response: Response | None) -> bool:
    return response is not None and "text/html" in (response.header_value("content-type") or "")


def axe_problems(url: str, report: dict[str, Any]) -> list[str]:
    """The serious and critical axe-core violations of ``report``, readably."""
    if "error" in report:
        return [f"{url}: axe-core could not run: {report['error']}"]
    failing = [v for v in report["violations"] if v["impact"] in AXE_FAILING_IMPACTS]
    if not failing:
        return []
    lines = [f"{url}: accessibility violations (axe-core):"]
    for violation in failing:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {' '.join(node['summary'].split())}")
        lines.append(f"    see {violation['helpUrl']}")
    return ["\n".join(lines)]


def weight_problems(
    url: str, requests: list[Request], document: Response, live_url: str
) -> list[str]:
    """What is wrong with the weight of a first load of ``url``: the
    ``requests`` made until its load event, ``document`` its HTML."""
    problems = []
    total = 0
    lines = []
    for request in (hop for first in requests for hop in redirect_chain(first)):
        response = request.response()
        if response is None:
            if request.failure and origin(request.url) == live_url:
                problems.append(f"{url}: {request.url} failed ({request.failure})")
            continue
        if response.status >= 400 and not request.is_navigation_request():
            problems.append(f"{url}: {request.url} answered {response.status}")
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        total += size
        lines.append(f"    {size:>7} B  {request.url}")
    html_size = document.request.sizes()["responseBodySize"]
    encoding = document.header_value("content-encoding")
    if encoding != "gzip" and html_size >= GZIP_MINIMUM_BYTES:
        problems.append(f"{url}: the HTML is not gzip-encoded (Content-Encoding: {encoding})")
    if html_size > HTML_BUDGET_BYTES:
        problems.append(
            f"{url}: the HTML is {html_size} bytes compressed, over the "
            f"{HTML_BUDGET_BYTES}-byte budget"
        )
    if total > PAGE_BUDGET_BYTES:
        problems.append(
            f"{url}: a first load transfers {total} bytes, over the "
            f"{PAGE_BUDGET_BYTES}-byte budget:\n" + "\n".join(lines)
        )
    return problems
