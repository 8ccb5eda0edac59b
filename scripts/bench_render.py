"""Render benchmark results (``bench/results.json``) into the marked sections of the docs."""

from __future__ import annotations

import re
from pathlib import Path

from scripts.bench_stages import DATA_STAGES, OTHER, STAGES, UNMAPPED

BENCH = ("<!-- bench:start -->", "<!-- bench:end -->")
SCALING = ("<!-- scaling:start -->", "<!-- scaling:end -->")
NOT_MEASURED = "_Not yet measured: run `make bench`._"
NOT_MEASURED_SCALING = "_Not yet measured: run `make bench-scaling`._"
#: Goals of issue 12: full build, its peak memory, and a new month as a share of the full build.
GOAL_WALL_S = 600.0
GOAL_PEAK_GB = 6.0
GOAL_NEW_MONTH_SHARE = 0.10
GB = 1e9
MB = 2**20


def gb(mb: float) -> str:
    """Megabytes (MiB) as decimal gigabytes."""
    return f"{mb * MB / GB:.2f} GB"


def secs(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds >= 100 else f"{seconds:.1f} s"


def _verdict(ok: bool) -> str:
    return "**pass**" if ok else "**FAIL**"


def _stage_rows(entry: dict) -> list[str]:
    full, new = entry["median"]["full"], entry["median"]["new_month"]
    floor = entry["floor"]["full"]["seconds"]
    rows = []
    for stage in (*STAGES, UNMAPPED, OTHER, "total"):
        if stage == "total":
            f = {"seconds": full["wall_s"], "peak_mb": full["peak_mb"]}
            n = {"seconds": new["wall_s"], "peak_mb": new["peak_mb"]}
        elif stage in full["stages"] or stage in new["stages"]:
            f = full["stages"].get(stage, {"seconds": 0.0, "peak_mb": 0.0})
            n = new["stages"].get(stage, {"seconds": 0.0, "peak_mb": 0.0})
        else:
            continue
        rate = (
            f"{full['rows_read'] / f['seconds']:,.0f}"
            if (stage in DATA_STAGES or stage == "total") and f["seconds"] > 0
            else "—"
        )
        ratio = f"{f['seconds'] / floor:,.1f}×" if floor > 0 else "—"
        name = f"**{stage}**" if stage == "total" else stage
        rows.append(
            f"| {name} | {secs(f['seconds'])} | {gb(f['peak_mb'])} | {rate} | {ratio} "
            f"| {secs(n['seconds'])} | {gb(n['peak_mb'])} |"
        )
    return rows


def _synth_line(synth: dict) -> str:
    """The synthesis sentence: its time and peak, or that earlier deliveries were reused."""
    if not synth.get("seconds"):
        return "Synthesis (not in the figures): deliveries reused from an earlier `outcomes synth`."
    return f"Synthesis (not in the figures): {secs(synth['seconds'])}, peak {gb(synth['peak_mb'])}."


def render_main(entry: dict | None) -> str:
    """The ``bench`` section: stage table, floor, goals and the conditions of the measurement."""
    if entry is None:
        return NOT_MEASURED
    full, new = entry["median"]["full"], entry["median"]["new_month"]
    machine = entry["machine"]
    floor_full, floor_new = entry["floor"]["full"], entry["floor"]["new_month"]
    share = new["wall_s"] / full["wall_s"] if full["wall_s"] else float("inf")
    lines = [
        f"Scenario `{entry['label']}`: preset `{entry['preset']}`, {entry['people']:,} people, "
        f"{len(entry['months'])} delivery months ({entry['months'][0]}..{entry['months'][-1]}), "
        f"seed {entry['seed']}; commit `{entry['commit']}`, {entry['date']}; "
        f"median of {full['repeats']} repeat(s). Machine: {machine['cpus']} CPUs, "
        f"{machine['ram_gb']:.0f} GB RAM, load average before the runs "
        f"{machine['load_before']:.1f}.",
        "",
        "The full build ingests every month but the last; the new month then ingests the last "
        f"month (`outcomes run --month {entry['months'][-1]}`). Rows read: "
        f"{full['rows_read']:,.0f} (full), {new['rows_read']:,.0f} (new month).",
        "",
        "| stage | full build wall (median) | peak tree RSS | rows/s | × floor "
        "| new month wall | new month peak |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *_stage_rows(entry),
        "",
        f"Of startup/other, {secs(full.get('before_first_step_s', 0.0))} (full build) and "
        f"{secs(new.get('before_first_step_s', 0.0))} (new month) pass before the first step "
        "starts (imports, `dbt parse`, loading the definitions, creating the Dagster run).",
        f"Floor (every landing file read once, `count(*)`): {secs(floor_full['seconds'])} for "
        f"{floor_full['rows']:,} rows in {floor_full['files']} files (full build); "
        f"{secs(floor_new['seconds'])} for {floor_new['rows']:,} rows (new month).",
        _synth_line(entry["synth"]),
        "",
        "| goal | measured | result |",
        "|---|---:|---|",
        f"| full build ≤ 10 min | {secs(full['wall_s'])} (median) "
        f"| {_verdict(full['wall_s'] <= GOAL_WALL_S)} |",
        f"| full build peak ≤ 6 GB | {gb(full['peak_mb_max'])} (highest repeat) "
        f"| {_verdict(full['peak_mb_max'] * MB <= GOAL_PEAK_GB * GB)} |",
        f"| new month ≤ 10% of full | {secs(new['wall_s'])} = {share:.1%} "
        f"| {_verdict(share <= GOAL_NEW_MONTH_SHARE)} |",
    ]
    return "\n".join(lines)


def scaling_entries(results: dict, preset: str) -> list[dict]:
    """The scaling scenarios of a preset, smallest population first: for each population the
    latest measurement, where the preset's own scenario (``make bench``, median of three) counts
    as the 1x one."""
    found = [e for e in results.values() if e.get("scaling_of") == preset]
    if preset in results:  # scaling runs are stored as `<preset>-x<multiple>`, never as this
        found.append({**results[preset], "multiple": 1.0})
    latest: dict[int, dict] = {}
    for e in sorted(found, key=lambda e: e["date"]):
        latest[e["people"]] = e
    return [latest[people] for people in sorted(latest)]


def _scaling_stages(entries: list[dict]) -> list[str]:
    present = {s for e in entries for s in e["median"]["full"]["stages"]}
    return [s for s in (*STAGES, UNMAPPED, OTHER) if s in present]


def render_scaling(entries: list[dict], chart_name: str) -> str:
    """The ``scaling`` section: one row per population (full build), and the chart."""
    if not entries:
        return NOT_MEASURED_SCALING
    stages = _scaling_stages(entries)
    head = ["people", "delivered rows", *stages, "total", "commit (repeats)"]
    multiples = ", ".join(f"{e['multiple']:g}" for e in entries)
    lines = [
        f"Full build per population (preset `{entries[0]['preset']}` × {multiples}); each cell "
        "is median wall time / peak process-tree RSS; the 1x row is `make bench` when it is "
        "the latest 1x measurement.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---:|" * len(head),
    ]
    for e in entries:
        full = e["median"]["full"]
        cells = [f"{e['people']:,}", f"{e['floor']['all']['rows']:,}"]
        for s in stages:
            f = full["stages"].get(s, {"seconds": 0.0, "peak_mb": 0.0})
            cells.append(f"{secs(f['seconds'])} / {gb(f['peak_mb'])}")
        cells.append(f"**{secs(full['wall_s'])} / {gb(full['peak_mb'])}**")
        cells.append(f"`{e['commit']}` ({full['repeats']})")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"![Wall time and peak memory against population]({chart_name})"]
    return "\n".join(lines)


def scaling_chart(entries: list[dict], path: Path) -> None:
    """Log-log wall time and peak memory of the full build against people, total and stages."""
    import altair as alt
    import polars as pl

    rows = []
    for e in entries:
        full = e["median"]["full"]
        rows.append({"people": e["people"], "part": "total", "seconds": full["wall_s"],
                     "peak_gb": full["peak_mb"] * MB / GB})  # fmt: skip
        for stage, f in full["stages"].items():
            rows.append({"people": e["people"], "part": stage, "seconds": f["seconds"],
                         "peak_gb": f["peak_mb"] * MB / GB})  # fmt: skip
    data = pl.DataFrame(rows).filter(pl.col("seconds") > 0).to_pandas()
    x = alt.X("people:Q", scale=alt.Scale(type="log", nice=False), title="people")
    color = alt.Color("part:N", title="stage", sort=[*STAGES, UNMAPPED, OTHER, "total"])
    base = alt.Chart(data).mark_line(point=True)
    wall = base.encode(
        x, alt.Y("seconds:Q", scale=alt.Scale(type="log"), title="wall time (s)"), color
    ).properties(title="Wall time", width=320, height=260)
    peak = base.encode(
        x, alt.Y("peak_gb:Q", scale=alt.Scale(type="log"), title="peak tree RSS (GB)"), color
    ).properties(title="Peak memory", width=320, height=260)
    (wall | peak).save(str(path))


def replace_section(text: str, markers: tuple[str, str], body: str) -> str:
    """``text`` with the part between the two markers replaced by ``body``."""
    start, end = markers
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"markers {start} ... {end} not found")
    return pattern.sub(lambda _: f"{start}\n{body}\n{end}", text, count=1)


def render_doc(doc: Path, template: Path, results: dict, main_label: str, preset: str) -> None:
    """Rewrite both marked sections of ``doc`` (started from ``template`` when absent) and the
    scaling chart beside it (``<doc stem>-scaling.svg``)."""
    text = doc.read_text() if doc.exists() else template.read_text()
    text = replace_section(text, BENCH, render_main(results.get(main_label)))
    entries = scaling_entries(results, preset)
    chart = doc.with_name(f"{doc.stem}-scaling.svg")
    text = replace_section(text, SCALING, render_scaling(entries, chart.name))
    if entries:
        scaling_chart(entries, chart)
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
