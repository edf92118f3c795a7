"""The gradio server of `genvid ui` without a browser: it binds where told and serves no file outside its cache.

`site` (a running page over a fresh root and state folder) is shared with test_ui_browser.py.
"""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

pytest.importorskip("gradio", reason="genvid ui needs gradio (pip install -e '.[ui]')")

from ui_server import site  # noqa: E402,F401  (the fixture)


@pytest.mark.parametrize("target", ["/etc/passwd", "{root}/notes.txt", "{state}/queue.json"])
def test_gradio_serves_no_file_outside_its_cache(site, target):
    url, page, root = site
    assert url.startswith("http://127.0.0.1:")
    (root / "notes.txt").write_text("private")
    path = target.format(root=root, state=page.guard.state)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}gradio_api/file={urllib.parse.quote(path)}", timeout=30)
    assert refused.value.code in (403, 404)
