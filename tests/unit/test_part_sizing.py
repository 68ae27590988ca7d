"""Part sizing stays within S3's multipart rules for every file size Chute accepts."""

from __future__ import annotations

import pytest

from files import s3
from files.uploads.policy import part_plan

MiB = 1024 * 1024
GiB = 1024 * MiB
TiB = 1024 * GiB

SIZES = [
    1,
    5 * MiB - 1,
    5 * MiB,
    16 * MiB,
    16 * MiB + 1,
    64 * MiB,
    5 * GiB,
    16 * MiB * 10_000,
    16 * MiB * 10_000 + 1,
    1 * TiB,
    3 * TiB + 12345,
    5 * TiB - 1,
    5 * TiB,
]


def check(size: int, part_size: int, part_count: int) -> None:
    assert 1 <= part_count <= s3.MAX_PARTS
    assert s3.MIN_PART_SIZE <= part_size <= s3.MAX_PART_SIZE  # every non-final part is ≥ 5 MiB
    last = size - part_size * (part_count - 1)
    assert 0 < last <= part_size  # the parts cover the file exactly, the last one non-empty


@pytest.mark.parametrize("size", SIZES)
def test_part_plan_keeps_every_size_within_s3_limits(size):
    check(size, *part_plan(size))


@pytest.mark.parametrize("preferred", [5 * MiB, 8 * MiB, 16 * MiB, 100 * MiB, 5 * GiB])
def test_part_plan_holds_for_any_configured_part_size(settings, preferred):
    settings.CHUTE_PART_SIZE = preferred
    for size in [*SIZES, *(n * 7_919_999_999 for n in range(1, 694))]:
        check(size, *part_plan(size))


def test_part_size_is_the_setting_until_ten_thousand_parts_would_not_fit(settings):
    settings.CHUTE_PART_SIZE = 16 * MiB
    assert part_plan(128 * MiB) == (16 * MiB, 8)
    assert part_plan(5 * GiB) == (16 * MiB, 320)
    assert part_plan(16 * MiB * 10_000) == (16 * MiB, 10_000)


def test_big_files_go_in_few_large_parts_by_default():
    assert part_plan(1 * GiB) == (64 * MiB, 16)
    assert part_plan(10 * GiB) == (64 * MiB, 160)


def test_smaller_files_get_smaller_parts_so_several_can_be_in_flight(settings):
    settings.CHUTE_PART_SIZE = 64 * MiB
    assert part_plan(256 * MiB) == (32 * MiB, 8)
    assert part_plan(100 * MiB) == (13 * MiB, 8)  # whole MiB: 7 × 13 MiB and 9 MiB
    assert part_plan(65 * MiB) == (9 * MiB, 8)
    assert part_plan(20 * MiB) == (5 * MiB, 4)  # never below S3's 5 MiB
    assert part_plan(1) == (5 * MiB, 1)


def test_part_size_grows_for_huge_files(settings):
    settings.CHUTE_PART_SIZE = 16 * MiB
    sizes = [16 * MiB * 10_000 + 1, 500 * GiB, 1 * TiB, 5 * TiB]
    plans = [part_plan(size) for size in sizes]
    part_sizes = [part_size for part_size, _ in plans]
    assert part_sizes == sorted(part_sizes)
    assert part_sizes[0] > 16 * MiB
    assert all(part_size % MiB == 0 for part_size in part_sizes)
    assert part_plan(5 * TiB) == (525 * MiB, 9_987)


def test_part_size_setting_is_clamped_to_s3_limits(settings):
    settings.CHUTE_PART_SIZE = 1 * MiB
    assert part_plan(20 * MiB) == (5 * MiB, 4)
    settings.CHUTE_PART_SIZE = 6 * GiB
    assert part_plan(80 * GiB) == (5 * GiB, 16)


@pytest.mark.parametrize("size", [0, -1, 5 * TiB + 1])
def test_sizes_outside_s3_object_limits_have_no_plan(size):
    with pytest.raises(ValueError):
        part_plan(size)
