"""The notebooks' line charts: nice ticks, valid standalone SVG, display bundles."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from playground.viz.chart import Chart, Figure, Marker, Series, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 95, [0, 20, 40, 60, 80, 100]),
        (0, 0.35, [0.0, 0.1, 0.2, 0.3, 0.4]),
        (-3, 3, [-4, -2, 0, 2, 4]),
        (3, 7, [3, 4, 5, 6, 7]),
    ],
)
def test_nice_ticks_cover_the_range_in_round_steps(low, high, expected):
    assert nice_ticks(low, high) == expected


def test_nice_ticks_refuse_infinite_bounds():
    with pytest.raises(ValueError):
        nice_ticks(0, float("inf"))


def chart() -> Chart:
    return Chart(
        "Virtual time <against> latency",
        [Series("awaited", [(0, 0), (50, 400), (100, 800)]), Series("pipelined", [(0, 0), (100, 200)], dashed=True)],
        x_label="latency (ms)",
        y_label="time (ms)",
        markers=[Marker(25, "now")],
    )


def test_a_chart_is_standalone_svg_with_one_line_per_series():
    root = ET.fromstring(chart().render())
    assert root.tag == SVG + "svg"
    lines = list(root.iter(SVG + "polyline"))
    assert len(lines) == 2 and lines[1].get("stroke-dasharray") == "6 4"
    assert len(list(root.iter(SVG + "circle"))) == 5
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert "Virtual time <against> latency" in texts and "now" in texts and "800" in texts
    assert "<style" not in chart().render() and "<script" not in chart().render()


def test_a_chart_without_points_says_so():
    with pytest.raises(ValueError, match="no points"):
        Chart("empty", [Series("nothing", [])]).render()


def test_figures_display_as_data_uri_images():
    bundle = Figure([chart(), chart()], caption="two")._repr_mimebundle_()
    assert bundle["text/html"].count('<img src="data:image/svg+xml;base64,') == 2
    assert bundle["text/plain"].endswith("\ntwo")
    assert "image/svg+xml" not in bundle
    single = chart()._repr_mimebundle_()
    assert single["image/svg+xml"].startswith("<svg") and single["text/plain"] == "Virtual time <against> latency"
