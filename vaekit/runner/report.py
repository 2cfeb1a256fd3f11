"""``report.html``: one self-contained page (figures embedded as base64 PNG) per run."""

from __future__ import annotations

import base64
import html
import json

from vaekit.files import write_text
from vaekit.runner.figures import CAPTIONS
from vaekit.runner.layout import RunLayout
from vaekit.runner.methods import METHOD_LABELS
from vaekit.runner.schema import Pipeline

__all__ = ["render_report", "write_report"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f3f3f3; } table.scores td { text-align: right; }
table.provenance th { width: 9rem; vertical-align: top; }
td.best { font-weight: bold; }
figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9rem; margin-top: 0.3rem; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
.muted { color: #666; }
"""


def _esc(value) -> str:
    return html.escape(str(value))


def _percent(entry: dict | None) -> str:
    if not entry:
        return ""
    if entry.get("n", 1) > 1:
        return f"{100 * entry['mean']:.2f} &plusmn; {100 * entry['std']:.2f}"
    return f"{100 * entry['mean']:.2f}"


def _results_table(metrics: dict) -> str:
    summary = metrics.get("summary") or []
    if not summary:
        return "<p class='muted'>No fine-tuning experiments in this pipeline.</p>"
    methods = list(dict.fromkeys(m for row in summary for m in row["methods"]))
    head = "".join(f"<th>{_esc(METHOD_LABELS.get(m, m))}</th>" for m in methods)
    body = []
    for row in summary:
        best = max(methods, key=lambda m: row["methods"].get(m, {}).get("mean", -1.0))
        cells = "".join(
            f"<td{' class=best' if m == best else ''}>{_percent(row['methods'].get(m))}</td>"
            for m in methods)
        body.append(f"<tr><td>{_esc(row['n_labels'])}</td><td>{len(row['seeds'])}</td>"
                    f"{cells}</tr>")
    return ("<p>Test accuracy (%), mean &plusmn; sample standard deviation (n&minus;1 in "
            "the denominator) over the seeds, whose number is in the <em>seeds</em> column; "
            "one seed gives the score alone. The best per row in bold.</p>"
            "<table class=scores><tr><th>labels</th><th>seeds</th>"
            f"{head}</tr>{''.join(body)}</table>")


def _pretrain_table(metrics: dict) -> str:
    rows = []
    for name, entry in (metrics.get("pretrain") or {}).items():
        final = ", ".join(f"{k} {v:.4g}" for k, v in entry.get("final", {}).items())
        extra = []
        if "elbo_mean" in entry:
            extra.append(f"test ELBO {entry['elbo_mean']:.4g} nats")
        if "active_units" in entry:
            extra.append(f"{entry['active_units']} of {entry['latent_dim']} latent units active")
        if "reconstruction_loss_mean" in entry:
            extra.append(f"test reconstruction loss {entry['reconstruction_loss_mean']:.4g}")
        rows.append(f"<tr><td>{_esc(name)}</td><td>{entry.get('epochs', '')}</td>"
                    f"<td>{_esc(final)}</td><td>{_esc('; '.join(extra))}</td></tr>")
    if not rows:
        return ""
    return ("<table><tr><th>model</th><th>epochs</th><th>last epoch</th><th>held-out</th>"
            f"</tr>{''.join(rows)}</table>")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _git_text(git: dict) -> str:
    if not git or not git.get("commit"):
        return f"none recorded ({(git or {}).get('reason', 'unknown')})"
    dirty = " with uncommitted changes" if git.get("dirty") else ", clean"
    return f"{git['commit']}{dirty} (work tree {git.get('work_tree', '?')})"


def _provenance_block(layout: RunLayout) -> str:
    if not layout.provenance.is_file():
        return ("<section id='provenance'><h2>Provenance</h2><p class='muted'>This folder "
                "has no provenance.json (written by vaekit runs since it was added).</p>"
                "</section>")
    record = json.loads(layout.provenance.read_text(encoding="utf-8"))
    invocations = record.get("invocations") or [{}]
    versions = record.get("versions") or {}
    host = record.get("host") or {}
    gpus = host.get("gpus")
    gpu_text = ", ".join(gpus) if gpus else ("none seen by the backend" if gpus == [] else
                                             host.get("gpus_note", "not recorded"))
    seconds = record.get("stage_seconds") or {}
    times = "; ".join(f"{stage} {_duration(value)}" for stage, value in seconds.items())
    if seconds:
        times += f"; total {_duration(sum(seconds.values()))}"
    dates = record.get("date", "?")
    if len(invocations) > 1:
        dates += (f"; continued {len(invocations) - 1} time(s), last on "
                  f"{invocations[-1].get('date', '?')}")
    differing = {json.dumps(inv.get("versions"), sort_keys=True) for inv in invocations}
    rows = [
        ("started (UTC)", dates),
        ("backend", record.get("backend", "?")),
        ("versions", ", ".join(f"{name} {version}" for name, version in versions.items())
         + (" (the invocations differ: see provenance.json)" if len(differing) > 1 else "")),
        ("git commit", _git_text(record.get("git"))),
        ("host", f"{host.get('cpu', '?')}, {host.get('cpu_count', '?')} logical CPUs; "
                 f"GPUs: {gpu_text}; {host.get('system', '')}"),
        ("wall time", times or "not recorded yet"),
        ("settings", "the resolved pipeline below (pipeline.yaml) and the steps it resolved "
                     "to (schedule.json)"),
    ]
    cells = "".join(f"<tr><th>{_esc(name)}</th><td>{_esc(value)}</td></tr>"
                    for name, value in rows)
    return (f"<section id='provenance'><h2>Provenance</h2><table class=provenance>{cells}"
            "</table><p class='muted'>From provenance.json in the run folder (every "
            "invocation, with its command).</p></section>")


def render_report(layout: RunLayout, pipeline: Pipeline) -> str:
    """The HTML of a run's report, from the files in its folder.

    Parameters
    ----------
    layout : RunLayout
        The run's folder.
    pipeline : Pipeline
        Its pipeline (names, plot order).

    Returns
    -------
    str
    """
    metrics = json.loads(layout.metrics_json.read_text()) if layout.metrics_json.is_file() \
        else {}
    data = metrics.get("data") or {}
    parts = [f"<h1>vaekit run: {_esc(pipeline.name)}</h1>"]
    if data:
        parts.append(
            f"<p class='muted'>Data: {_esc(data['source'])}; {data['n_train']} training rows "
            f"({data['n_train_labelled']} labelled), {data['n_test']} test rows, samples of "
            f"shape {_esc(tuple(data['input_shape']))}, {data['n_classes']} classes.</p>")
    parts.append("<h2>Results</h2>" + _results_table(metrics))
    parts.append("<h2>Pretraining</h2>" + (_pretrain_table(metrics)
                                           or "<p class='muted'>Not evaluated yet.</p>"))
    for name in pipeline.outputs.plots:
        path = layout.plot(name)
        if not path.is_file():
            continue
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        title = name.replace("_", " ").capitalize()
        parts.append(
            f"<h2 id='{name}'>{_esc(title)}</h2><figure><img alt='{_esc(title)}' "
            f"data-figure='{name}' src='data:image/png;base64,{encoded}'>"
            f"<figcaption>{_esc(CAPTIONS.get(name, ''))}</figcaption></figure>")
    parts.append(_provenance_block(layout))
    pipeline_text = layout.pipeline.read_text(encoding="utf-8") if layout.pipeline.is_file() \
        else ""
    parts.append(f"<h2>Pipeline</h2><pre>{_esc(pipeline_text)}</pre>")
    body = "\n".join(parts)
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>vaekit: {_esc(pipeline.name)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def write_report(layout: RunLayout, pipeline: Pipeline):
    """Write ``report.html`` atomically and return its path."""
    return write_text(layout.report, render_report(layout, pipeline))
