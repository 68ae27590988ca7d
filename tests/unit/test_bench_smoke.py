"""The benchmarks' own pieces: they import, read sizes, measure a process tree, and the
classic-upload baseline stays out of the shipped app."""

import subprocess
import sys

import pytest
from django.urls import Resolver404, resolve

from bench import api_cost, scale, upload_throughput
from bench.harness import Meter, parse_size


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
    # The page signs 8 parts first, then 32 a call: create, 8, 32, 24, complete.
    assert gib["page_requests"] == 5


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
