"""The `site` fixture of the ui tests: `genvid ui` serving a fresh root and state folder (needs gradio)."""
from __future__ import annotations

import pytest


@pytest.fixture
def site(tmp_path, monkeypatch):
    from genvid.ui.app import serve

    root = tmp_path / "root"
    root.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "unused"))  # serve() sets it; restored afterwards
    demo, page = serve([root], state=tmp_path / "state", device="cpu", block=False)
    yield demo.local_url, page, root
    page.queue.close()
    demo.close()
