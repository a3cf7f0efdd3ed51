"""The chart pack and the HTML report: files, provenance, language, and that the report renders."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

import sim
from sim.cli.main import main
from sim.output.charts import write_chart_pack
from sim.output.report import write_report


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """One small run on disk, shared by every test here (a few seconds)."""
    out = tmp_path_factory.mktemp("run")
    params = sim.load_params(overrides={"scale": 0.005, "years": 0.5})
    sim.run(params, replications=2, seed=1, workers=1).save(out)
    return out


@pytest.fixture(scope="module")
def meta(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())


@pytest.fixture(scope="module")
def pack_en(run_dir: Path, tmp_path_factory) -> list[Path]:
    return write_chart_pack([run_dir], tmp_path_factory.mktemp("charts_en"), "en")


def test_every_chart_in_png_and_svg_and_one_pdf(pack_en: list[Path]) -> None:
    pngs = {p.stem for p in pack_en if p.suffix == ".png"}
    svgs = {p.stem for p in pack_en if p.suffix == ".svg"}
    pdfs = [p for p in pack_en if p.suffix == ".pdf"]
    assert pngs == svgs and len(pngs) >= 4  # caseload, fte, talks, compliance; money when the run has it
    assert {"01_caseload", "02_fte", "03_talks", "04_compliance"} <= pngs
    assert len(pdfs) == 1 and pdfs[0].read_bytes().startswith(b"%PDF")
    assert all(p.stat().st_size > 1000 for p in pack_en)


def test_provenance_in_svg_text_png_and_pdf_metadata(pack_en: list[Path], meta: dict) -> None:
    h = meta["params_hash"]
    for p in pack_en:
        if p.suffix == ".svg":
            text = p.read_text()
            assert text.count(h) >= 2, p  # the visible footer and the <dc:description> metadata
        elif p.suffix == ".png":
            with Image.open(p) as im:
                assert h in im.info["Description"] and meta["scenario"] in im.info["Description"]
                assert im.size[0] / im.size[1] == pytest.approx(16 / 9, rel=0.01)
        elif p.suffix == ".pdf":
            assert h.encode() in p.read_bytes()


def test_danish_chart_labels(run_dir: Path, tmp_path: Path) -> None:
    files = write_chart_pack([run_dir], tmp_path, "da")
    svg = "".join(p.read_text() for p in files if p.suffix == ".svg")
    assert "Kommune" in svg and "Sagsstamme" in svg and "Årsværk" in svg
    assert "Municipality" not in svg and "Caseload by" not in svg
    assert all("_da" in p.stem for p in files)


def test_comparison_and_cli(run_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["charts", str(run_dir), str(run_dir), "--out", str(tmp_path)]) == 0
    svg = (tmp_path / "01_caseload.svg").read_text()
    assert f"[{run_dir.name}]" in svg  # two runs of the same scenario are told apart in the legend
    assert main(["charts", str(tmp_path / "missing")]) == 2
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: run_dir") for line in err)


def test_older_run_without_optional_files(run_dir: Path, tmp_path: Path) -> None:
    """A run folder without weekly.parquet or compliance.csv still gets the charts it has data for."""
    old = tmp_path / "old"
    old.mkdir()
    for name in ("summary.csv", "kpis.csv"):
        shutil.copy(run_dir / name, old / name)
    meta = json.loads((run_dir / "run.json").read_text())
    del meta["files"]  # runs from before weekly.parquet and compliance.csv also predate the file hashes
    (old / "run.json").write_text(json.dumps(meta))
    files = write_chart_pack([old], tmp_path / "charts", "en")
    stems = {p.stem for p in files if p.suffix == ".png"}
    assert "01_caseload" not in stems and {"03_talks", "04_compliance"} <= stems
    html = write_report(old, "en").read_text()
    assert "compliance.csv" in html


def _report_checks(html: str, meta: dict) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", html, re.I)
    assert "<script" not in html.lower()
    assert meta["params_hash"] in html
    for path in meta["assumptions"]:
        assert f"<code>{path}</code>" in html


def test_report_english_and_danish(run_dir: Path, meta: dict) -> None:
    en = write_report(run_dir, "en").read_text()
    da = write_report(run_dir, "da").read_text()
    for html in (en, da):
        _report_checks(html, meta)
    assert "not modelled" in en and "Citizen satisfaction" in en and "Employer satisfaction" in en
    assert "ikke modelleret" in da and "Borgertilfredshed" in da and "Kommune" in da
    if (run_dir / "compliance.csv").exists():
        assert re.search(r">(met|not met|uncertain)<", en) and re.search(r">(opfyldt|ikke opfyldt|usikkert)<", da)


def _chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=5000"]
    return subprocess.run(base + args, capture_output=True, text=True, timeout=90)


def test_report_renders_in_headless_chromium(run_dir: Path, meta: dict, tmp_path: Path) -> None:
    if shutil.which("chromium") is None:  # a failure, never a skip: a skipped browser test hides a broken report
        pytest.fail("chromium is not installed: run scripts/setup-browser.sh (apt-get install chromium), "
                    "as the README's test command does")
    report = write_report(run_dir, "en", tmp_path / "report.html")
    html = report.read_text()
    n_img = html.count("<img ")
    assert n_img >= 4
    dom = _chromium(["--dump-dom", report.as_uri()], tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f"<title>Caseload simulation report: {meta['scenario']}</title>" in dom.stdout
    srcs = re.findall(r'<img src="data:image/png;base64,([^"]+)"', dom.stdout)
    assert len(srcs) == n_img
    for src in srcs:  # every embedded chart is a whole, decodable picture
        with Image.open(io.BytesIO(base64.b64decode(src))) as im:
            im.verify()
    shot = tmp_path / "shot.png"
    res = _chromium(["--window-size=1280,2400", f"--screenshot={shot}", report.as_uri()], tmp_path / "profile2")
    assert res.returncode == 0, res.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1280, 2400)
        assert len(im.convert("L").resize((64, 120)).getcolors(4096)) > 10  # not a blank page
