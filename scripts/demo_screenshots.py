"""Screenshots of a running demo (`make demo`) for the README and docs/demo.md.

    python scripts/demo_screenshots.py --url http://127.0.0.1:4318 --key sg_... [--out docs/img]

Opens the pages where the demo's stories show (dashboard, the incidents list and the tool
outage's incident once live traffic has paged — about five minutes —, the v2 vs v3 prompt
comparison, the model-snapshot page, the most expensive agent trace, a LangGraph agent trace)
in headless Debian Chromium.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, READY  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:4318")
    parser.add_argument("--key", required=True)
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    def traces(**params: object) -> list[dict[str, object]]:
        return list(
            httpx.get(
                f"{args.url}/api/v1/traces", params=params, headers={"authorization": f"Bearer {args.key}"}
            ).json()["items"]
        )

    costly = traces(q="feature:ops-agent", sort="-cost_usd", limit=1)[0]["trace_id"]
    # a LangGraph run that used tools and answered: about 15 spans fit the waterfall on one screen
    langgraph = min(
        traces(q="feature:order-assistant status:ok", limit=200),
        key=lambda t: abs(int(str(t["span_count"])) - 15),
    )["trace_id"]
    incidents = httpx.get(
        f"{args.url}/api/v1/incidents", headers={"authorization": f"Bearer {args.key}"}
    ).json()["items"]
    outage = next((i["id"] for i in incidents if str(i["title"]).startswith("tool-failures")), None)
    pages = [
        ("demo-dashboard", "/"),
        ("demo-incidents", "/incidents"),
        *([("demo-incident-outage", f"/incident/{outage}")] if outage else []),
        ("demo-compare-v2-v3", "/compare?dimension=prompt_version&a=v2&b=v3"),
        ("demo-models", "/models"),
        ("demo-runaway-agent", f"/trace/{costly}"),
        ("demo-langgraph-agent", f"/trace/{langgraph}"),
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, base_url=args.url)
        page.goto(f"/login?key={args.key}")
        for name, route in pages:
            page.goto(f"{args.url}/#{route}")
            page.wait_for_function(READY, timeout=30_000)
            page.wait_for_timeout(800)  # let ECharts finish its entry animation
            page.screenshot(path=str(out / f"{name}.png"))
            print(f"wrote {out / name}.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
