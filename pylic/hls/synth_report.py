"""Read a Vitis HLS synthesis report (`<prj>/sol1/syn/report/csynth.xml`) into plain JSON-able data.

Only what the tool wrote is reported; nothing is estimated here (see estimate.py for the model)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pylic.errors import ToolError

RESOURCES = ("BRAM_18K", "DSP", "FF", "LUT", "URAM")


def _num(text: str | None) -> int | float | None:
    if text is None:
        return None
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None  # "undef" and friends


def parse_csynth_xml(path: str | Path) -> dict:
    """Latency (cycles), interval (II), clock estimate and resources used / available."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ToolError(f"cannot read synthesis report {path}: {exc}") from None
    perf = root.find("PerformanceEstimates")
    area = root.find("AreaEstimates")
    if perf is None or area is None:
        raise ToolError(f"{path} is not a csynth.xml report (no PerformanceEstimates/AreaEstimates)")
    lat = perf.find("SummaryOfOverallLatency")
    timing = perf.find("SummaryOfTimingAnalysis")

    def field(node, tag):
        return _num(node.findtext(tag)) if node is not None else None

    def resources(tag):
        node = area.find(tag)
        return {r: _num(node.findtext(r)) for r in RESOURCES if node is not None and node.find(r) is not None}

    return {
        "top": root.findtext("UserAssignments/TopModelName"),
        "part": root.findtext("UserAssignments/Part"),
        "target_clock_ns": _num(root.findtext("UserAssignments/TargetClockPeriod")),
        "estimated_clock_ns": field(timing, "EstimatedClockPeriod"),
        "latency_best": field(lat, "Best-caseLatency"),
        "latency_worst": field(lat, "Worst-caseLatency"),
        "interval_min": field(lat, "Interval-min"),
        "interval_max": field(lat, "Interval-max"),
        "resources": resources("Resources"),
        "available": resources("AvailableResources"),
    }
