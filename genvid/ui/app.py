"""The gradio page: layout and wiring only; what the buttons do is `page.Page`.

`serve()` points gradio's upload folder and cache (GRADIO_TEMP_DIR) into the state folder, serves no
other folder (`allowed_paths` stays empty: previews and results are written or linked into that
cache), starts the job runner and binds to 127.0.0.1 unless told otherwise.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..io.encode import DEFAULT_CRF
from .page import CODECS, PRECISIONS, Page, queue_html

CSS = """
#genvid-message p { margin: 0; }
#genvid-message .error, #genvid-message p:has(strong) { color: #b00020; }
.genvid-queue { width: 100%; } .genvid-queue progress { width: 12em; }
"""


def build(page: Page):
    import gradio as gr

    with gr.Blocks(title="genvid") as demo:
        gr.Markdown(f"## genvid: enhance, compare, queue\nFiles inside: `{page.roots_line()}` "
                    f"(uploads and their outputs stay in `{page.guard.state}`)")
        message = gr.Markdown("", elem_id="genvid-message")
        with gr.Row():
            with gr.Column():
                upload = gr.File(label="Upload a video", file_count="single", elem_id="upload")
                with gr.Row():
                    source = gr.Textbox(label="or a path on the server (for large files)", elem_id="source",
                                        placeholder="clips/input.mp4", scale=4)
                    open_btn = gr.Button("Open", elem_id="open", scale=1)
                info = gr.Markdown("", elem_id="info")
            with gr.Column():
                models = gr.Dropdown(choices=page.model_choices(), value=page.default_models(), multiselect=True,
                                     label="Model, or several in the order they run (a chain)", elem_id="models")
                with gr.Accordion("Model cards: scores and speed", open=False):
                    gr.Markdown(page.models_table())
                with gr.Row():
                    tile = gr.Number(value=0, precision=0, minimum=0, label="tile (input pixels, 0: whole frame)",
                                     elem_id="tile")
                    precision = gr.Dropdown(PRECISIONS, value="auto", label="precision", elem_id="precision")
                    codec = gr.Dropdown(CODECS, value=CODECS[0], label="codec", elem_id="codec")
                    crf = gr.Slider(0, 51, value=DEFAULT_CRF, step=1, label="quality (CRF, lower is better)",
                                    elem_id="crf")
        with gr.Accordion("Preview: before and after on a few frames", open=True):
            with gr.Row():
                frames = gr.Textbox(label="frames (e.g. 0, 40, 99; empty: three spread over the video)",
                                    elem_id="frames")
                region = gr.Textbox(label="region X,Y,W,H in input pixels (empty: 192x108 at the centre; full)",
                                    elem_id="region")
                method = gr.Dropdown(["nearest", "bicubic"], value="nearest", label="before shown as",
                                     elem_id="method")
                zoom = gr.Slider(1, 4, value=1, step=1, label="side-by-side zoom", elem_id="zoom")
            preview_btn = gr.Button("Preview", elem_id="preview-button")
            preview_note = gr.Markdown("", elem_id="preview-note")
            gallery = gr.Gallery(label="preview", columns=2, height=560, object_fit="contain", elem_id="preview")
        with gr.Row():
            output = gr.Textbox(label="output video", elem_id="output", scale=4)
            run_btn = gr.Button("Run", variant="primary", elem_id="run", scale=1)
        queue = gr.HTML(queue_html(page.queue.jobs()), elem_id="queue")
        with gr.Row():
            job = gr.Dropdown(choices=[], value=None, label="job", elem_id="job", scale=3)
            stop_btn = gr.Button("Stop", elem_id="stop")
            resume_btn = gr.Button("Resume", elem_id="resume")
            remove_btn = gr.Button("Remove", elem_id="remove")
        result = gr.File(label="result", interactive=False, elem_id="result")
        known, shown = gr.State([]), gr.State(None)
        timer = gr.Timer(1.0)

        parts = {"message": message, "source": source, "info": info, "output": output, "gallery": gallery,
                 "preview_note": preview_note, "queue": queue, "job": job, "result": result, "known": known,
                 "shown": shown}

        def wire(event, handler, inputs, names, quiet=False):
            """`handler`'s dict, by name, onto the components; a quiet one (the timer) leaves the message
            line alone unless it failed."""
            outputs = [parts[n] for n in ("message", *names)]

            def run(*values):
                out = handler(*values)
                if quiet and not out["message"]:
                    del out["message"]
                return {parts[k]: gr.update(**v) if isinstance(v, dict) else v for k, v in out.items()}
            event(run, inputs=inputs, outputs=outputs, show_progress="hidden" if quiet else "minimal")

        opened = ("source", "info", "output")
        wire(open_btn.click, page.open_path, [source, models], opened)
        wire(source.submit, page.open_path, [source, models], opened)
        wire(upload.upload, page.open_upload, [upload, models], opened)
        wire(models.change, page.models_changed, [source, models], ("output",))
        wire(preview_btn.click, page.preview, [source, models, frames, region, method, zoom, tile, precision],
             ("gallery", "preview_note"))
        wire(run_btn.click, page.add_job, [source, models, output, tile, precision, codec, crf],
             ("queue", "job", "result"))
        wire(stop_btn.click, page.stop, [job], ("queue",))
        wire(resume_btn.click, page.resume, [job], ("queue",))
        wire(remove_btn.click, page.remove, [job], ("queue", "job", "result"))
        wire(job.change, page.select, [job], ("result", "shown"))
        wire(timer.tick, page.refresh, [job, known, shown], ("queue", "job", "result", "known", "shown"), quiet=True)
    return demo


def serve(roots: list[str | Path], host: str = "127.0.0.1", port: int | None = None, state: str | Path | None = None,
          device: str = "auto", block: bool = True):
    """Starts the page (and the job runner); returns (demo, page).  `block` waits until Ctrl-C."""
    from .paths import default_state_dir

    page = Page(roots, state or default_state_dir(), device)
    os.environ["GRADIO_TEMP_DIR"] = str(page.cache)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    demo = build(page)
    page.queue.start()
    demo.queue(default_concurrency_limit=2)
    demo.launch(server_name=host, server_port=port, show_error=False, allowed_paths=[], prevent_thread_lock=True,
                quiet=True, footer_links=[], css=CSS)
    print(f"genvid ui: {demo.local_url} (files inside {page.roots_line()}; Ctrl-C stops)", flush=True)
    if block:
        try:
            demo.block_thread()
        finally:
            page.queue.close()
    return demo, page
