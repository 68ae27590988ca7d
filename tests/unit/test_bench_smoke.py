"""The benchmarks' own pieces: they import, read sizes, measure a process tree, and the
classic-upload baseline stays out of the shipped app."""

import subprocess
import sys

import pytest
from django.urls import Resolver404, resolve

from bench import api_cost, scale, upload_throughput
from bench.harness import MB, Meter, parse_size, sign_in


def test_classic_upload_baseline_is_routed_only_by_the_bench_urlconf():
    with pytest.raises(Resolver404):
        resolve("/bench/classic-upload")
    assert resolve("/bench/classic-upload", urlconf="bench.urls").url_name == (
        "bench-classic-upload"
    )
    # The bench URLconf still serves the whole app.
    assert resolve("/api/uploads", urlconf="bench.urls").url_name == "create-upload"


@pytest.mark.parametrize(
    ("text", "size"),
    [("1GiB", 1024**3), ("200MiB", 200 * 1024**2), ("1.5GB", 1_500_000_000), ("4096", 4096)],
)
def test_sizes_read_binary_and_decimal_units(text, size):
    assert parse_size(text) == size


def test_sizes_refuse_words():
    with pytest.raises(Exception, match="not a size"):
        parse_size("big")


def test_meter_sees_cpu_and_memory_of_a_child_process():
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; sys.stdin.readline(); b = bytearray(64 * 2**20); "
            "sum(range(3_000_000)); print('ready', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        with Meter(child.pid) as meter:
            child.stdin.write("go\n")
            child.stdin.flush()
            assert child.stdout.readline() == "ready\n"  # the child holds its 64 MiB now
        assert meter.usage.cpu_seconds > 0
        assert meter.usage.rss_growth >= 60 * 2**20
    finally:
        child.stdin.write("done\n")
        child.stdin.close()
        child.wait()
        child.stdout.close()


def test_scale_counts_the_calls_the_protocol_needs_from_the_servers_plan(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = 64 * 2**20
    settings.CHUTE_PART_SIZE = 16 * 2**20
    settings.CHUTE_PARALLEL_PARTS = 4
    assert scale.requests_per_upload(2**20)["requests"] == 2  # create, confirm
    gib = scale.requests_per_upload(2**30)
    assert (gib["parts"], gib["part_size"]) == (64, 16 * 2**20)
    assert gib["requests"] == 3  # create, one batch of up to 100 part URLs, complete
    # The page signs 8 parts first, then up to 100 a call: create, 8, 56, complete.
    assert gib["page_requests"] == 4


@pytest.mark.parametrize("script", [upload_throughput, api_cost, scale])
def test_benchmark_scripts_explain_their_options(script):
    answer = subprocess.run(
        [sys.executable, "-m", script.__name__, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr
    assert "usage:" in answer.stdout
    assert "--" in answer.stdout  # it documents at least one option


def _run(seconds: float, cpu: float, growth: int = 0, size: int = 10 * MB) -> dict:
    return {
        "seconds": seconds,
        "mb_per_s": size / MB / seconds,
        "cpu_seconds": cpu,
        "rss_growth_bytes": growth,
    }


def test_throughput_ratios_compare_the_medians_of_interleaved_rounds():
    size = 10 * MB
    runs = {
        "a": [_run(1.0, 0.01), _run(5.0, 0.02), _run(1.2, 0.03, growth=2 * MB)],  # one outlier
        "c": [_run(2.0, 1.0), _run(2.0, 2.0), _run(2.0, 3.0)],
        "d": [_run(1.0, 0.0), _run(1.1, 0.0), _run(0.9, 0.0)],
        "e": [_run(2.4, 0.5), _run(2.2, 0.4), _run(2.6, 0.6)],
    }
    by_way = {way: upload_throughput.median_row(way, rows, size) for way, rows in runs.items()}
    for way, rows in runs.items():
        by_way[way]["rss_growth_runs"] = [row["rss_growth_bytes"] for row in rows]
    assert by_way["a"]["seconds"] == 1.2  # the outlier does not move the median
    assert by_way["a"]["rounds"] == 3
    ratios = upload_throughput.ratios_of(by_way)
    assert ratios["throughput_a_over_d"] == round(1.0 / 1.2, 3)
    assert ratios["throughput_a_over_e"] == round(2.4 / 1.2, 3)
    assert ratios["cpu_a_over_c"] == 0.01
    assert ratios["rss_growth_a_bytes"] == 2 * MB  # the worst round, not the median
    verdicts = upload_throughput.verdicts_of(ratios)
    assert verdicts == {
        "throughput_a_over_d": False,  # 0.833 < 0.95
        "throughput_a_over_e": True,
        "cpu_a_over_c": True,
        "rss_growth_a_bytes": True,
    }


def test_the_bench_sees_that_the_page_sends_multipart_uploads():
    assert upload_throughput.page_sends_multipart()


def test_the_uppy_peer_page_is_routed_only_by_the_bench_urlconf():
    with pytest.raises(Resolver404):
        resolve("/bench/uppy/")
    assert resolve("/bench/uppy/page.js", urlconf="bench.urls").url_name == "bench-uppy-file"
    assert (upload_throughput.UPPY_PAGE / "entry.js").exists()


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("GET /api/uppy/s3/multipart/NjQ5_a1b2c3/17", "GET /api/uppy/s3/multipart/<id>/<n>"),
        (
            "POST /api/uploads/0d6e3f4c-8d2a-4a7e-9d33-2f5c0b8f1e11/parts",
            "POST /api/uploads/<id>/parts",
        ),
        (
            "POST /api/uppy/s3/multipart/NjQ5_a1b2c3/complete",
            "POST /api/uppy/s3/multipart/<id>/complete",
        ),
    ],
)
def test_requests_to_django_are_grouped_by_route(line, pattern):
    assert upload_throughput.path_pattern(line) == pattern


def test_api_cost_measures_cpu_per_request_in_process(db, settings, capsys):
    settings.ROOT_URLCONF = "bench.urls"
    session = sign_in("bench")
    endpoints = [
        api_cost.Endpoint("trivial view (baseline)", "GET", ["/bench/trivial"], baseline=True),
        api_cost.Endpoint("signed-in user (baseline)", "POST", ["/bench/whoami"], body="{}"),
    ]
    cpu = api_cost.cpu_per_request(session, endpoints, requests=3, rounds=1)
    assert set(cpu) == {endpoint.name for endpoint in endpoints}
    assert all(ms > 0 for ms in cpu.values())
    api_cost.report_cpu(endpoints, cpu, {}, None)
    table = capsys.readouterr().out
    assert "signed-in user (baseline)" in table
    assert "1.00" in table  # the baseline against itself
