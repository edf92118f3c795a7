"""`genvid ui` driven by headless Chromium: upload a clip, preview, run, check the output and a screenshot.

Skips with the reason where gradio, selenium, Chromium or its driver is missing.  Set
GENVID_UI_SCREENSHOT=FILE.png to keep the page's screenshot (the README's comes from here).
"""
from __future__ import annotations

import os
import shutil
import time
from fractions import Fraction

import pytest

from genvid.io.image_folder import read_image
from genvid.io.probe import probe

gradio = pytest.importorskip("gradio", reason="genvid ui needs gradio (pip install -e '.[ui]')")
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser test needs selenium (pip install selenium)")

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
DRIVER = shutil.which("chromedriver")
if CHROMIUM is None or DRIVER is None:
    pytest.skip("headless Chromium and its driver are not installed "
                "(Debian: apt-get install chromium chromium-driver)", allow_module_level=True)

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from ui_server import site  # noqa: E402,F401  (the fixture)

pytestmark = pytest.mark.slow  # a web server and headless Chromium


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1500",
                "--disable-gpu", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def field(driver, elem_id: str):
    return driver.find_element(By.CSS_SELECTOR, f"#{elem_id} textarea, #{elem_id} input")


def text_of(driver, elem_id: str) -> str:
    return driver.find_element(By.ID, elem_id).text


def wait_for(driver, what, seconds: float = 60):
    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: what(d))


def test_upload_preview_run_in_a_browser(site, browser, clip_maker, tmp_path):
    url, page, root = site
    clip = clip_maker("bikes clip.mp4", size="160x96", rate="30000/1001", frames=12, audio=True)
    n = probe(clip).frame_count  # 11 or 12: -shortest may end the file with its audio
    browser.get(url)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#upload input[type=file]"))
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(clip))
    wait_for(browser, lambda d: "30000/1001" in text_of(d, "info"))
    info = text_of(browser, "info")
    assert "160x96" in info and f"frames {n}" in info and "aac" in info and "8 bits" in info
    assert field(browser, "source").get_attribute("value") == str(page.guard.uploads / "bikes_clip.mp4")
    output = field(browser, "output").get_attribute("value")
    assert output == str(page.guard.outputs / "bikes_clip_sr-x4.mp4")

    field(browser, "frames").send_keys("3, 8")
    browser.find_element(By.ID, "preview-button").click()
    wait_for(browser, lambda d: "Preview of frames 3, 8" in text_of(d, "preview-note"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#preview img")) == 4
    assert "Error" not in text_of(browser, "genvid-message")
    previews = sorted(page.cache.glob("previews/*/frame000003_split.png"))
    assert read_image(previews[-1]).shape == (384, 640, 3)  # the whole 160x96 frame, x4
    shot = tmp_path / "page.png"
    browser.execute_script("document.getElementById('info').scrollIntoView()")
    browser.save_screenshot(str(shot))
    assert read_image(shot).shape[1] >= 1000
    if os.environ.get("GENVID_UI_SCREENSHOT"):
        from PIL import Image

        Image.open(shot).convert("RGB").quantize(128).save(os.environ["GENVID_UI_SCREENSHOT"], optimize=True)

    browser.find_element(By.ID, "run").click()
    wait_for(browser, lambda d: "job-done" in d.find_element(By.ID, "queue").get_attribute("innerHTML"), 120)
    assert f"{n}/{n} frames" in text_of(browser, "queue")
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#result a"))
    out = probe(output)
    assert (out.width, out.height, out.frame_count, out.fps) == (640, 384, n, Fraction(30000, 1001))
    assert out.audio == ["aac"]
    assert not list(root.iterdir())  # an upload's output goes to the state folder, not a root


def test_errors_are_one_line_and_paths_outside_the_roots_are_refused(site, browser):
    url, page, root = site
    browser.get(url)
    box = wait_for(browser, lambda d: field(d, "source"))
    box.send_keys("/etc/passwd")
    browser.find_element(By.ID, "open").click()
    wait_for(browser, lambda d: "Error" in text_of(d, "genvid-message"))
    message = text_of(browser, "genvid-message")
    assert message.startswith("Error: /etc/passwd is outside the folders this page may use") and "\n" not in message
    assert "Traceback" not in browser.page_source and text_of(browser, "info") == ""
    (root / "notes.txt").write_text("not a video")
    box.clear()
    box.send_keys("notes.txt", Keys.ENTER)
    wait_for(browser, lambda d: "cannot read" in text_of(d, "genvid-message"))
    assert "Traceback" not in browser.page_source
    time.sleep(1.5)  # the queue's timer ticks: the message stays
    assert "cannot read" in text_of(browser, "genvid-message")

