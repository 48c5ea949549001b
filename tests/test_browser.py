"""The web form in a real browser: `streamlit run app.py` driven through Debian's Chromium.

Starts the server on a free port, drives `/usr/bin/chromium` (headless) with
Playwright for Python through `executable_path` (never `playwright install`),
picks hardware and region, sets hours, and reads the result and the model-card
YAML from the page. Saves screenshots to test-artifacts/ (never to the tracked tree: docs/screenshot.png,
the README's picture, is refreshed by copying test-artifacts/app.png there by hand).

With CI=true the test must run: a missing Chromium or Playwright is a failure.
Elsewhere it is skipped when either is missing.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

import estimator
from estimator import modelcard, report
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise AssertionError(f"streamlit did not answer at {url} within {timeout_s:g} s")


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """`streamlit run app.py` on a free port, as `make run` starts it (address etc. from .streamlit/config.toml)."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", *_make_run_command(port), "--server.fileWatcherType", "none"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://localhost:{port}"
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _pick(page: Any, label: str, search: str, option: str | re.Pattern[str]) -> None:
    """Open a select box by its label, type to search, click the option."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    page.keyboard.type(search)
    page.get_by_role("option", name=option).first.click()
    _settle(page)


def _set_number(page: Any, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    _settle(page)


def _metric(page: Any, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    text: str = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return text.strip()


def _settle(page: Any) -> None:
    """Wait until the script run is over: Streamlit draws the top of the page before the rest."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)
    page.locator('[data-stale="true"]').first.wait_for(state="detached", timeout=TIMEOUT_MS)


def _wait_for_metric(page: Any, label: str, expected: str) -> None:
    locator = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    locator.locator('[data-testid="stMetricValue"]', has_text=expected).wait_for(timeout=TIMEOUT_MS)
    _settle(page)


LOCAL_HOSTS = ("localhost", "127.0.0.1", None)
WIDTH = 1400  # the README's screenshot, and the width the headline must fit on one row


def _watch(page: Any, foreign: list[str], console: list[str]) -> None:
    """Record requests that leave this machine, and the browser console's warnings and errors."""
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).hostname not in LOCAL_HOSTS else None)
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("warning", "error") else None)


def _headline_tops(page: Any) -> dict[str, float]:
    """The top edge (px) of each of the five headline figures."""
    tops = {}
    for label in ("Emissions", "Embodied (manufacturing)", "Energy", "Grid intensity", "PUE"):
        metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
        box = metric.bounding_box()
        assert box is not None, label
        tops[label] = round(box["y"])
    return tops


def test_fill_the_form_in_chromium_and_read_the_result(server_url: str, chromium: Any) -> None:
    expected = estimator.estimate(hardware="nvidia-h100-sxm5-80gb", hours=48, count=4, region="FR")
    foreign: list[str] = []
    console: list[str] = []
    page = chromium.new_page(viewport={"width": WIDTH, "height": 1000})
    _watch(page, foreign, console)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server_url, wait_until="domcontentloaded")
    page.locator('[data-testid="stMetric"]').first.wait_for()
    assert "CO2e" in _metric(page, "Emissions"), "a result from the first load"

    _pick(page, "Hardware", "H100 SXM5 80GB", re.compile(r"^NVIDIA H100 SXM5 80GB \("))
    _set_number(page, "Number of devices", "4")
    _set_number(page, "Hours", "48")
    _pick(page, "Provider", "On-premise", "On-premise: a country or grid")
    _pick(
        page,
        "Country or grid zone (gCO2e/kWh)",
        "France",
        re.compile(r"^FR · [\d.,]+ gCO2e.kWh \(\d{4}\) · France"),
    )

    _wait_for_metric(page, "Emissions", report.mass(expected.co2e_g))
    assert _metric(page, "Energy") == report.energy(expected.energy_kwh)
    tops = _headline_tops(page)
    assert len(set(tops.values())) == 1, f"the five headline figures on one row at {WIDTH} px: {tops}"
    assert page.get_by_text(report.arithmetic(expected)).count() >= 1

    page.get_by_role("tab", name="Model card & paper").click()
    block = modelcard.card_block(expected, "pre-training")
    del block["training_type"]  # none chosen: none written (issue 16, item 15)
    card = modelcard.to_yaml(block)
    first_line = card.splitlines()[1].strip()  # "emissions: 11741.184"
    yaml_block = page.locator('[data-testid="stCode"]').filter(has_text=first_line).first
    yaml_block.wait_for()
    shown = yaml_block.inner_text()
    for line in card.splitlines():
        assert line.strip() in shown, line
    assert "training_type" not in shown

    assert "hardware=nvidia-h100-sxm5-80gb" in page.url and "region=FR" in page.url
    page.get_by_role("tab", name="Breakdown & sources").click()
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    page.wait_for_timeout(800)  # let the chart draw before the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)

    page.get_by_role("tab", name="Cleaner regions").click()
    page.get_by_text("Had this run in").first.wait_for()
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "app-cleaner.png"), full_page=True)
    for tab in ("Before you train", "Inference & lifecycle"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(800)  # every chart drawn once

    # Serving hardware kept on all day (issue 16, item 19): the API's figure, and the choice in the link.
    always_on = estimator.estimate_inference(
        "nvidia-h100-sxm5-80gb", "FR", requests=100_000, seconds_per_request=0.1, count=1, hours_per_day=24
    )
    page.get_by_text("always on (24 h a day)", exact=True).click()
    _wait_for_metric(page, "Serving, per day", report.mass(always_on.co2e_g))
    assert _metric(page, "Per 1,000 requests") == report.mass(always_on.co2e_g_per_1k_requests)
    assert page.get_by_text("Morrison et al. 2025", exact=False).count() >= 1, "the idle draw's source"
    assert "hours_per_day=24" in page.url
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "app-serving.png"), full_page=True)

    # The shareable link restores the form and the result in a new page.
    shared = chromium.new_page(viewport={"width": 1440, "height": 1000})
    shared.set_default_timeout(TIMEOUT_MS)
    shared.goto(page.url, wait_until="domcontentloaded")
    _wait_for_metric(shared, "Emissions", report.mass(expected.co2e_g))
    assert not foreign, f"offline: the page asked for {foreign[:5]}"
    assert not [m for m in console if "Infinite extent" in m], console


HOSTILE = {"region": "![x](http://evil.example/t.png)", "training_type": "[Click](https://evil.example)"}


def test_markdown_in_a_link_is_plain_text_in_chromium(server_url: str, chromium: Any) -> None:
    """Issue 16, item 1: a link's Markdown is shown as its characters: no image fetched, no live link."""
    foreign: list[str] = []
    console: list[str] = []
    page = chromium.new_page(viewport={"width": WIDTH, "height": 1000})
    _watch(page, foreign, console)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server_url}/?{urlencode(HOSTILE)}", wait_until="domcontentloaded")
    alerts = page.locator('[data-testid="stAlertContentError"]')
    alerts.nth(1).wait_for()
    _settle(page)
    shown = "\n".join(alerts.all_inner_texts()).replace("\u2060", "")  # the invisible word joiners
    for value in HOSTILE.values():
        assert value in shown, shown  # the characters, as typed
    assert page.locator("img[src*='evil']").count() == 0
    assert page.locator("a[href*='evil']").count() == 0
    assert page.locator('[data-testid="stMetric"]').count() == 0, "no figure for a region that is unknown"
    assert "evil.example" in page.url, "the link is left as it was"
    page.screenshot(path=str(ARTIFACTS / "app-hostile-link.png"), full_page=True)
    assert not foreign, f"the page asked for {foreign[:5]}"


# ---------------------------------------------------------------- `make run`: offline, on localhost (issue 16, item 13)

# Runs in the server process: records every socket call (Python audit events, PEP 578), then
# starts Streamlit's own command line.
AUDIT = """
import json, runpy, sys
log = open(sys.argv[1], "a", encoding="utf-8")
WITH_SOCKET = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
NAMES = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"}
def hook(event, args):
    if event in WITH_SOCKET:
        log.write(json.dumps([event, repr(args[1])]) + "\\n")
    elif event in NAMES:
        log.write(json.dumps([event, repr(args[0])]) + "\\n")
    else:
        return
    log.flush()
sys.addaudithook(hook)
sys.argv = ["streamlit", *sys.argv[2:]]
runpy.run_module("streamlit", run_name="__main__")
"""

# Runs where the server runs (inside the network namespace): starts it, asks it for the page,
# reads the kernel's table of listening sockets, stops it; prints what it saw as JSON.
DRIVER = """
import json, os, subprocess, sys, time, urllib.request
audit, log, port, cwd, *command = sys.argv[1:]
env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
server = subprocess.Popen([sys.executable, audit, log, *command], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
seen = {"health": None, "page": None, "listen": []}
try:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2) as r:
                seen["health"] = r.status
            break
        except OSError:
            time.sleep(0.25)
    with urllib.request.urlopen(f"http://localhost:{port}/", timeout=10) as r:
        seen["page"] = r.status
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == int(port):
                    seen["listen"].append(address)
finally:
    server.terminate()
    try:
        out = server.communicate(timeout=20)[0]
    except subprocess.TimeoutExpired:
        server.kill()
        out = server.communicate()[0]
    seen["output"] = out.decode("utf-8", "replace")
print(json.dumps(seen))
"""
LOOPBACK_HEX = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1 as /proc/net/tcp writes them
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _make_run_command(port: int) -> list[str]:
    """The `make run` recipe from the Makefile, with the port filled in and `$(BIN)/` dropped."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    recipe = lines[lines.index(next(line for line in lines if line.startswith("run:"))) + 1]
    words = shlex.split(recipe.strip())
    assert words[0] == "$(BIN)/streamlit", recipe
    return [w.replace("$(PORT)", str(port)) for w in words[1:]]


def _isolated_network() -> list[str]:
    """`unshare -rn` (a new user and network namespace: no network but a loopback) when it works here."""
    probe = ["unshare", "-rn", "true"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=10, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return ["unshare", "-rn", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh"] if ok else []


def test_make_run_makes_no_network_call_and_listens_on_localhost(tmp_path: Path) -> None:
    """`make run` with networking off: it serves on localhost, listens on loopback only, and no socket
    call of the server goes anywhere but this machine (no external-IP lookup, no usage statistics).

    Without user namespaces (no `unshare -rn`), the same audit of socket calls runs with the network on.
    """
    (tmp_path / "audit.py").write_text(AUDIT, encoding="utf-8")
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    log = tmp_path / "sockets.jsonl"
    log.touch()
    port = _free_port()
    isolate = _isolated_network()
    command = [
        *isolate,
        sys.executable,
        str(tmp_path / "driver.py"),
        str(tmp_path / "audit.py"),
        str(log),
        str(port),
        str(ROOT),
        *_make_run_command(port),
    ]
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}  # no user-wide Streamlit config
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["health"] == 200 and seen["page"] == 200, seen
    assert seen["listen"] and set(seen["listen"]) <= LOOPBACK_HEX, f"listens beyond localhost: {seen['listen']}"
    assert f"URL: http://localhost:{port}" in seen["output"], seen["output"]
    assert "External URL" not in seen["output"] and "Network URL" not in seen["output"]
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert ["socket.bind", repr(("localhost", port))] in calls, calls
    for event, target in calls:
        host = target.strip("'\"") if event != "socket.bind" and not target.startswith("(") else None
        if target.startswith("("):
            host = str(ast.literal_eval(target)[0])
        assert host in LOOPBACK_NAMES or target.startswith(("'/", "b'")), f"{event} {target}: off this machine"
