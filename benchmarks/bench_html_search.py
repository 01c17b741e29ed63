"""How fast is the HTML view's search box? The budget: 0.1 s per keystroke on ResNet-1202.

Opens each page (`resgen render SPEC -f html`) from file:// in headless Chromium
(Debian's chromium + chromedriver, Selenium, as tests/test_render_browser.py) and
types a query one character at a time, as a person would; each keystroke is timed
inside the page with performance.now(), from the input event to the layout that
shows its result (the handler, then a forced style and layout of the page). Each
keystroke's time is its median over the rounds; printed per network: the median
keystroke and the slowest (the first characters, which match every layer), and
the ratio ResNet-1202 / ResNet-50 of the slowest (with 24x the layers, a ratio
near 1 means the cost no longer grows with the network). The budget holds for
the slowest keystroke.
Run: `python benchmarks/bench_html_search.py [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 0.1
CASES = [  # spec, query typed one character at a time
    ("specs/cifar10/resnet1202_a.yaml", "layer3.150.conv1"),
    ("specs/resnet50.yaml", "layer3.4.conv1"),
]
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--window-size=1400,900",
)
# One keystroke: the query grows by a character, an input event is dispatched as the
# browser would, and the page is laid out (reading offsetHeight forces style and layout).
KEYSTROKES = """
const query = arguments[0], box = document.getElementById("search"), times = [];
for (let k = 1; k <= query.length; k++) {
  const t0 = performance.now();
  box.value = query.slice(0, k);
  box.dispatchEvent(new Event("input", { bubbles: true }));
  void document.body.offsetHeight;
  void document.getElementById("layer-table").getBoundingClientRect();
  times.push(performance.now() - t0);
}
box.value = "";
box.dispatchEvent(new Event("input", { bubbles: true }));
void document.body.offsetHeight;
return times;
"""


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        sys.exit("needs Debian's chromium and chromium-driver on PATH")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def keystrokes(driver: Any, page: Path, query: str, rounds: int) -> list[float]:
    """Seconds per keystroke, each the median over the rounds."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(page.as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return !!window.resgen"))
    driver.execute_script(KEYSTROKES, query)  # warm-up: caches, JIT
    runs = [driver.execute_script(KEYSTROKES, query) for _ in range(rounds)]
    return [statistics.median(times) / 1e3 for times in zip(*runs, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds

    import resgen
    from resgen.render.html import to_html

    work = Path(tempfile.mkdtemp(prefix="bench-html-search-"))
    driver = browser()
    print(f"{rounds} rounds; per keystroke, input event to laid-out result")
    slowest = []
    failed = False
    try:
        for spec, query in CASES:
            net = resgen.checked_network(ROOT / spec)
            page = work / f"{Path(spec).stem}.html"
            page.write_text(to_html(net), encoding="utf-8")
            times = keystrokes(driver, page, query, rounds)
            slowest.append(max(times))
            verdict = ""
            if spec == CASES[0][0]:
                failed = max(times) > BUDGET_S
                verdict = "ok" if not failed else f"OVER the {BUDGET_S:g} s budget"
            print(
                f"  {Path(spec).stem:16} {len(net.nodes):5} layers  typing {query!r:20}"
                f"  median {statistics.median(times) * 1e3:7.1f} ms"
                f"  slowest {max(times) * 1e3:7.1f} ms  {verdict}"
            )
    finally:
        driver.quit()
        shutil.rmtree(work, ignore_errors=True)
    first, second = (Path(spec).stem for spec, _ in CASES)
    print(f"  ratio of the slowest keystrokes, {first} / {second}: {slowest[0] / slowest[1]:.2f}")
    if failed:
        sys.exit("over budget")


if __name__ == "__main__":
    main()
