"""Regenerate the renderings in docs/images/ (shown by docs/rendering.md and the README).

Run from anywhere: `python scripts/make_docs_images.py`. The SVGs need Graphviz
(the `dot` program, or `pip install pygraphviz`); the screenshot of the HTML view
needs Debian's chromium and chromium-driver plus `pip install selenium`, and is
skipped with a note where they are missing.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"

# (spec relative to the repo, level, roll, file name, drawing options)
PICTURES = [
    ("specs/resnet50.yaml", "block", False, "resnet50_block.svg", {}),
    ("specs/cifar10/resnet56_a.yaml", "layer", False, "cifar_resnet56_a_layer.svg", {}),
    ("specs/cifar10/resnet56_a.yaml", "layer", True, "cifar_resnet56_a_layer_roll.svg", {}),
    ("specs/cifar10/resnet1202_a.yaml", "block", True, "cifar_resnet1202_a_block_roll.svg", {}),
    ("specs/resnet50.yaml", "layer", False, "resnet50_merge.svg", {"merge": True}),
    (
        "specs/cifar10/preact_resnet110.yaml",
        "layer",
        True,
        "cifar_preact_resnet110_lr_dark.svg",
        {"direction": "LR", "theme": "dark", "merge": True},
    ),
    ("specs/resnet50.yaml", "stage", False, "resnet50.html", {}),
]

FIG3 = ("vgg19", "plain34", "resnet34")  # the ResNet paper's Figure 3, side by side


def main() -> None:
    os.chdir(ROOT)  # specs by relative path: the tooltips show `specs/...`, not this machine
    sys.path.insert(0, str(ROOT))
    import resgen
    from resgen.outputs import write_all
    from resgen.render import find_engine, render
    from resgen.render.engine import Embedded, embedded_available

    # the pinned, embedded Graphviz where present: the same pictures on every machine
    engine = Embedded() if embedded_available() else find_engine()
    print(f"Graphviz: {engine.name}")
    files: dict[Path, bytes] = {}
    for spec, level, roll, name, options in PICTURES:
        fmt = name.rsplit(".", 1)[1]
        net = resgen.checked_network(spec)
        files[IMAGES / name] = render(net, fmt, level, roll, engine=engine, **options)
    from resgen.render import run_graphviz
    from resgen.render.side import side_by_side

    fig3 = [resgen.checked_network(f"specs/{name}.yaml") for name in FIG3]
    files[IMAGES / "fig3_side_by_side.svg"] = run_graphviz(
        side_by_side(fig3, level="block"), "svg", engine
    )
    write_all(files)
    for path, data in files.items():
        print(f"wrote {path.relative_to(ROOT)} ({len(data):,} bytes)")
    screenshot(IMAGES / "resnet50.html", IMAGES / "html_view.png")


def screenshot(page: Path, target: Path) -> None:
    """The HTML view with layer2 and its first block unfolded and a layer hovered."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
    except ImportError:
        chromium = None
    if not chromium or not chromedriver:
        print(f"skipped {target.name}: needs chromium, chromium-driver and selenium")
        return
    profile = tempfile.mkdtemp(prefix="resgen-docs-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--hide-scrollbars",
                "--disable-component-update", "--disable-sync", "--window-size=1400,860",
                f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        driver.get(page.as_uri())
        driver.execute_script("resgen.expand('stage:layer2'); resgen.expand('block:layer2.0')")
        index = driver.execute_script(
            "return resgen.data.nodes.findIndex(n => n.id === 'layer2.0.conv2')"
        )
        node = driver.find_element(By.CSS_SELECTOR, f'[data-node="{index}"]')
        ActionChains(driver).move_to_element(node).perform()
        time.sleep(0.3)
        driver.save_screenshot(str(target))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
