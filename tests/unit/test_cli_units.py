"""The `chute` client's pure pieces: durations, sizes, part planning, resume and retry rules."""

from __future__ import annotations

import pytest
from chute_client.api import ChuteError, check_id
from chute_client.parts import Part, already_stored, b64sha256, batches, plan_parts, stored_parts
from chute_client.retry import Action, RetryPolicy, bucket_action, s3_error_code
from chute_client.units import parse_duration, parse_size

MiB = 1024 * 1024
BAD_DIGEST = "<Error><Code>BadDigest</Code><Message>x</Message></Error>"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("12h", 43200), ("7d", 604800), ("45s", 45), ("2w", 1209600), (" 1H ", 3600)],
)
def test_durations_people_type(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "0d", "-1h", "1.5h", "7 days", "d", "1y"])
def test_durations_without_a_known_unit_are_refused_with_a_sentence(text):
    with pytest.raises(ValueError, match="is not a duration such as 30m, 12h or 7d"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"), [("512K", 512 * 1024), ("20M", 20 * MiB), ("1G", 1024 * MiB), ("100", 100)]
)
def test_rates(text, size):
    assert parse_size(text) == size


def test_parts_cover_the_file_with_a_short_last_part():
    parts = plan_parts(2 * 5 * MiB + 7, 5 * MiB, 3)
    assert parts == [Part(1, 0, 5 * MiB), Part(2, 5 * MiB, 5 * MiB), Part(3, 10 * MiB, 7)]
    assert sum(p.size for p in parts) == 2 * 5 * MiB + 7
    assert [p.size for p in plan_parts(10 * MiB, 5 * MiB, 2)] == [5 * MiB, 5 * MiB]


def test_a_plan_that_does_not_add_up_is_refused():
    with pytest.raises(ChuteError):
        plan_parts(10 * MiB, 5 * MiB, 3)


def test_parts_are_signed_in_batches_of_the_servers_limit():
    parts = plan_parts(250, 1, 250)
    assert [len(b) for b in batches(parts, 100)] == [100, 100, 50]


def test_a_stored_part_is_skipped_only_when_size_and_sha256_match():
    part = Part(1, 0, 5)
    sha = b64sha256(b"hello")
    assert already_stored(part, sha, {"number": 1, "size": 5, "sha256": sha, "etag": "e"})
    assert not already_stored(part, sha, {"number": 1, "size": 4, "sha256": sha, "etag": "e"})
    assert not already_stored(part, b64sha256(b"hellO"), {"size": 5, "sha256": sha})
    assert not already_stored(part, sha, {"size": 5, "sha256": None})
    assert not already_stored(part, sha, None)


def test_a_part_listed_twice_is_not_trusted():
    listed = [{"number": 1, "etag": "a"}, {"number": 2, "etag": "b"}, {"number": 1, "etag": "c"}]
    assert list(stored_parts(listed)) == [2]


@pytest.mark.parametrize(
    ("status", "body", "action"),
    [
        (200, "", Action.DONE),
        (204, "", Action.DONE),
        (403, "<Code>AccessDenied</Code>", Action.RESIGN),  # expired URL
        (400, BAD_DIGEST, Action.REREAD),
        (400, "<Code>XAmzContentChecksumMismatch</Code>", Action.REREAD),
        (400, "<Code>InvalidArgument</Code>", Action.FAIL),
        (404, "<Code>NoSuchUpload</Code>", Action.FAIL),
        (500, "", Action.RETRY),
        (503, "<Code>SlowDown</Code>", Action.RETRY),
        (429, "", Action.RETRY),
    ],
)
def test_what_to_do_after_the_bucket_answers(status, body, action):
    assert bucket_action(status, body) == action


def test_s3_error_code():
    assert s3_error_code(BAD_DIGEST) == "BadDigest"
    assert s3_error_code("not xml") == ""


def test_backoff_doubles_up_to_its_cap_with_half_of_it_random():
    policy = RetryPolicy(attempts=8, base=0.5, cap=4.0)
    assert [policy.delay(n, rand=lambda: 0.0) for n in range(1, 6)] == [0.25, 0.5, 1, 2, 2]
    assert [policy.delay(n, rand=lambda: 1.0) for n in range(1, 6)] == [0.5, 1, 2, 4, 4]
    spread = {round(policy.delay(3), 6) for _ in range(50)}
    assert len(spread) > 1
    assert all(1 <= d <= 2 for d in spread)


def test_file_ids_are_checked_before_any_request():
    assert (
        check_id("6F9619FF-8B86-D011-B42D-00C04FC964FF") == "6f9619ff-8b86-d011-b42d-00c04fc964ff"
    )
    with pytest.raises(ChuteError, match="not a file id"):
        check_id("../../etc")
