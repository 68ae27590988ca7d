"""The multipart protocol against a real SeaweedFS: signing parts, listing, completing, aborting."""

from __future__ import annotations

import base64
import hashlib
import os
import time

import pytest
import requests
from botocore.stub import Stubber

from files import errors, s3
from files.models import Upload
from files.uploads import declarations, multipart
from files.uploads.start import start_upload
from tests import helpers
from tests.helpers import post_json

MiB = 1024 * 1024
PART = 5 * MiB  # S3's smallest non-final part keeps these tests quick


@pytest.fixture(autouse=True)
def small_parts(settings):
    settings.CHUTE_MULTIPART_THRESHOLD = PART
    settings.CHUTE_PART_SIZE = PART


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def start(client, size: int) -> dict:
    return helpers.start(client, name="movie.mkv", size=size, content_type="video/x-matroska")


def split(data: bytes, part_size: int = PART) -> dict[int, bytes]:
    return {i // part_size + 1: data[i : i + part_size] for i in range(0, len(data), part_size)}


def sign(client, upload_id: str, parts: dict[int, bytes]) -> object:
    body = {"parts": [{"number": n, "sha256": b64sha(body)} for n, body in parts.items()]}
    return post_json(client, f"/api/uploads/{upload_id}/parts", body)


def put_part(url: str, body: bytes, *, sha256: str | None = None) -> requests.Response:
    headers = {"x-amz-checksum-sha256": sha256 or b64sha(body)}
    return requests.put(url, data=body, headers=headers, timeout=60)


def send_parts(client, upload_id: str, parts: dict[int, bytes]) -> dict[int, str]:
    """Sign and PUT the parts; returns the ETags the bucket answered, by part number."""
    signed = sign(client, upload_id, parts)
    assert signed.status_code == 200, signed.content
    etags = {}
    for number, body in parts.items():
        stored = put_part(signed.json()["urls"][str(number)], body)
        assert stored.status_code == 200, stored.text
        etags[number] = stored.headers["ETag"].strip('"')
    return etags


def complete(client, upload_id: str, etags: dict[int, str]) -> object:
    parts = [{"number": n, "etag": etag} for n, etag in sorted(etags.items())]
    return post_json(client, f"/api/uploads/{upload_id}/complete", {"parts": parts})


def three_parts() -> tuple[bytes, dict[int, bytes]]:
    data = os.urandom(2 * PART + 1234)
    return data, split(data)


@pytest.mark.django_db
def test_three_part_upload_completes_and_stored_bytes_match(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    assert issued["method"] == "multipart"
    assert (issued["part_size"], issued["part_count"]) == (PART, 3)

    etags = send_parts(alice, issued["id"], parts)
    listed = alice.get(f"/api/uploads/{issued['id']}/parts")
    assert listed.status_code == 200
    assert [(p["number"], p["etag"], p["size"]) for p in listed.json()["parts"]] == [
        (n, etags[n], len(parts[n])) for n in (1, 2, 3)
    ]

    response = complete(alice, issued["id"], etags)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ready"
    upload = Upload.objects.get(pk=issued["id"])
    assert upload.status == Upload.Status.READY
    assert upload.file.name == upload.key
    assert upload.checksum_sha256  # the composite checksum the bucket reported
    assert s3.get_bytes(upload.key) == data
    assert s3.list_multipart_uploads(prefix=upload.key) == []


@pytest.mark.django_db
def test_files_below_the_threshold_use_a_single_request(alice, settings):
    settings.CHUTE_MULTIPART_THRESHOLD = 64 * MiB
    assert start(alice, 64 * MiB - 1)["method"] == "post"
    issued = start(alice, 64 * MiB)
    assert issued["method"] == "multipart"
    assert "post" not in issued and "put" not in issued


@pytest.mark.django_db
def test_signing_records_each_parts_checksum_and_signs_it_into_the_url(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    signed = sign(alice, issued["id"], {1: parts[1], 3: parts[3]})
    assert signed.status_code == 200
    assert set(signed.json()["urls"]) == {"1", "3"}
    assert "x-amz-checksum-sha256" in signed.json()["urls"]["1"].lower()
    stored = Upload.objects.get(pk=issued["id"]).part_checksums
    assert stored == {"1": b64sha(parts[1]), "3": b64sha(parts[3])}


@pytest.mark.django_db
@pytest.mark.parametrize("number", [0, 10_001, 4, -1, "1", True, None])
def test_part_numbers_outside_the_upload_are_refused(alice, number):
    data, _ = three_parts()
    issued = start(alice, len(data))
    response = post_json(
        alice,
        f"/api/uploads/{issued['id']}/parts",
        {"parts": [{"number": number, "sha256": b64sha(b"x")}]},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_upload"
    assert "part" in response.json()["message"].lower()
    assert Upload.objects.get(pk=issued["id"]).part_checksums == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"parts": []},
        {"parts": "1"},
        {"parts": [1]},
        {"parts": [{"number": 1}]},
        {"parts": [{"number": 1, "sha256": "not base64!"}]},
        {"parts": [{"number": 1, "sha256": b64sha(b"a")}, {"number": 1, "sha256": b64sha(b"a")}]},
    ],
)
def test_malformed_sign_requests_get_a_sentence(alice, body):
    data, _ = three_parts()
    issued = start(alice, len(data))
    response = post_json(alice, f"/api/uploads/{issued['id']}/parts", body)
    assert response.status_code == 400
    assert response.json()["message"].endswith(".")


@pytest.mark.django_db
def test_at_most_a_hundred_parts_are_signed_per_call(alice):
    issued = start(alice, 101 * PART)
    batch = [{"number": n, "sha256": b64sha(b"x")} for n in range(1, 102)]
    response = post_json(alice, f"/api/uploads/{issued['id']}/parts", {"parts": batch})
    assert response.status_code == 400
    assert "100" in response.json()["message"]
    response = post_json(alice, f"/api/uploads/{issued['id']}/parts", {"parts": batch[:100]})
    assert response.status_code == 200
    assert len(response.json()["urls"]) == 100


@pytest.mark.django_db
def test_other_users_upload_ids_are_not_found_on_every_multipart_endpoint(alice, mallory):
    data, parts = three_parts()
    issued = start(alice, len(data))
    etags = send_parts(alice, issued["id"], {1: parts[1]})
    base = f"/api/uploads/{issued['id']}"

    answers = [
        sign(mallory, issued["id"], {2: parts[2]}),
        mallory.get(f"{base}/parts"),
        complete(mallory, issued["id"], etags),
        mallory.post(f"{base}/confirm"),
        mallory.delete(base),
    ]
    for answer in answers:
        assert answer.status_code == 404
        assert answer.json()["error"] == "not_found"
    assert [p["number"] for p in alice.get(f"{base}/parts").json()["parts"]] == [1]
    assert Upload.objects.get(pk=issued["id"]).part_checksums == {"1": b64sha(parts[1])}


@pytest.mark.django_db
def test_complete_with_a_wrong_etag_is_refused_and_the_upload_stays_resumable(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    etags = send_parts(alice, issued["id"], parts)

    response = complete(alice, issued["id"], {**etags, 2: "0" * 32})
    assert response.status_code == 409
    assert response.json()["error"] == "parts_mismatch"
    assert "part 2" in response.json()["message"]
    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.PENDING
    assert len(alice.get(f"/api/uploads/{issued['id']}/parts").json()["parts"]) == 3

    assert complete(alice, issued["id"], etags).status_code == 200
    assert s3.get_bytes(issued["key"]) == data


@pytest.mark.django_db
def test_complete_with_a_missing_part_or_etag_is_refused_and_nothing_is_lost(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    etags = send_parts(alice, issued["id"], parts)

    left_out = complete(alice, issued["id"], {1: etags[1], 3: etags[3]})
    assert left_out.status_code == 409
    assert "part 2" in left_out.json()["message"]
    no_etag = post_json(
        alice,
        f"/api/uploads/{issued['id']}/complete",
        {
            "parts": [
                {"number": 1, "etag": etags[1]},
                {"number": 2},
                {"number": 3, "etag": etags[3]},
            ]
        },
    )
    assert no_etag.status_code == 400
    assert "ETag" in no_etag.json()["message"]

    assert Upload.objects.get(pk=issued["id"]).status == Upload.Status.PENDING
    assert complete(alice, issued["id"], etags).status_code == 200
    assert s3.get_bytes(issued["key"]) == data


@pytest.mark.django_db
def test_complete_before_every_part_arrived_is_refused_then_succeeds_once_sent(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    etags = send_parts(alice, issued["id"], {1: parts[1], 2: parts[2]})

    early = complete(alice, issued["id"], {**etags, 3: "f" * 32})
    assert early.status_code == 409
    assert "does not hold part 3" in early.json()["message"]

    etags |= send_parts(alice, issued["id"], {3: parts[3]})
    assert complete(alice, issued["id"], etags).status_code == 200
    assert s3.get_bytes(issued["key"]) == data


@pytest.mark.django_db
def test_complete_twice_registers_one_file(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    etags = send_parts(alice, issued["id"], parts)
    assert complete(alice, issued["id"], etags).status_code == 200
    again = complete(alice, issued["id"], etags)
    assert again.status_code == 200
    assert again.json()["status"] == "ready"
    assert Upload.objects.filter(status=Upload.Status.READY).count() == 1


@pytest.mark.django_db
def test_abort_leaves_no_multipart_upload_in_the_bucket(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    send_parts(alice, issued["id"], {1: parts[1]})
    assert [m.key for m in s3.list_multipart_uploads(prefix=issued["key"])] == [issued["key"]]

    assert alice.delete(f"/api/uploads/{issued['id']}").status_code == 204
    assert s3.list_multipart_uploads(prefix=issued["key"]) == []
    assert not Upload.objects.filter(pk=issued["id"]).exists()
    assert alice.get(f"/api/uploads/{issued['id']}/parts").status_code == 404


@pytest.mark.django_db
def test_bucket_refuses_a_part_whose_body_does_not_match_its_checksum(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    url = sign(alice, issued["id"], {1: parts[1]}).json()["urls"]["1"]

    corrupted = bytes([parts[1][0] ^ 0xFF]) + parts[1][1:]
    refused = put_part(url, corrupted, sha256=b64sha(parts[1]))
    assert refused.status_code == 400
    assert "BadDigest" in refused.text
    assert alice.get(f"/api/uploads/{issued['id']}/parts").json()["parts"] == []

    # The same URL still takes the right bytes: a retry needs no new signature.
    assert put_part(url, parts[1]).status_code == 200


@pytest.mark.django_db
def test_bucket_refuses_a_checksum_other_than_the_signed_one(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    url = sign(alice, issued["id"], {1: parts[1]}).json()["urls"]["1"]
    forged = put_part(url, parts[2])  # a matching header, but not the checksum that was signed
    assert forged.status_code == 403


@pytest.mark.django_db
def test_multipart_calls_on_a_single_request_upload_are_refused(alice, settings):
    settings.CHUTE_MULTIPART_THRESHOLD = 64 * MiB
    issued = start(alice, 100)
    for answer in (
        alice.get(f"/api/uploads/{issued['id']}/parts"),
        sign(alice, issued["id"], {1: b"x"}),
        complete(alice, issued["id"], {1: "a" * 32}),
    ):
        assert answer.status_code == 409
        assert answer.json()["error"] == "not_multipart"


@pytest.mark.django_db
def test_parts_of_an_aborted_upload_cannot_be_signed(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    Upload.objects.filter(pk=issued["id"]).update(status=Upload.Status.ABORTED)
    answer = sign(alice, issued["id"], {1: parts[1]})
    assert answer.status_code == 409
    assert answer.json()["error"] == "upload_closed"


@pytest.mark.django_db
def test_an_upload_the_bucket_no_longer_holds_is_reported_gone(alice):
    data, _ = three_parts()
    issued = start(alice, len(data))
    upload = Upload.objects.get(pk=issued["id"])
    s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)

    listed = alice.get(f"/api/uploads/{issued['id']}/parts")
    assert listed.status_code == 410
    assert listed.json()["error"] == "upload_gone"
    completed = complete(alice, issued["id"], {1: "a" * 32, 2: "b" * 32, 3: "c" * 32})
    assert completed.status_code == 410


@pytest.mark.django_db
def test_unfinished_uploads_are_listed_with_the_bytes_already_stored(alice, mallory):
    data, parts = three_parts()
    issued = start(alice, len(data))
    send_parts(alice, issued["id"], {1: parts[1]})
    finished = start(alice, len(data))
    complete(alice, finished["id"], send_parts(alice, finished["id"], parts))

    listed = alice.get("/api/uploads/resumable").json()["uploads"]
    assert [(u["id"], u["uploaded"], u["part_count"]) for u in listed] == [(issued["id"], PART, 3)]
    assert mallory.get("/api/uploads/resumable").json()["uploads"] == []

    html = alice.get("/api/uploads/resumable", headers={"HX-Request": "true"})
    assert html.status_code == 200
    assert f'data-upload-id="{issued["id"]}"' in html.content.decode()
    assert "movie.mkv" in html.content.decode()


@pytest.mark.django_db
def test_a_bucket_failure_when_starting_leaves_no_upload_behind(alice):
    with Stubber(s3.client()) as stub:
        stub.add_client_error(
            "create_multipart_upload", service_error_code="InternalError", http_status_code=500
        )
        response = post_json(
            alice, "/api/uploads", {"name": "a.bin", "size": 3 * PART, "content_type": "video/mp4"}
        )
    assert response.status_code == 503
    assert response.json()["error"] == "storage_unavailable"
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_a_refused_save_aborts_the_multipart_upload_it_started(user, monkeypatch):
    def open_uploads() -> set[str]:
        return {m.upload_id for m in s3.list_multipart_uploads(prefix=f"users/{user.pk}/")}

    def refuse(*args, **kwargs):
        raise errors.QuotaExceeded("No room.")

    before = open_uploads()
    monkeypatch.setattr(Upload, "save", refuse)
    request = declarations.Declaration(name="a.bin", size=3 * PART, content_type="video/mp4")
    with pytest.raises(errors.QuotaExceeded):
        start_upload(user, request)
    assert open_uploads() == before


@pytest.mark.django_db
def test_listing_parts_follows_every_page_of_list_parts(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    etags = send_parts(alice, issued["id"], parts)
    upload = Upload.objects.get(pk=issued["id"])
    listed = s3.list_parts(upload.key, upload_id=upload.multipart_upload_id, page_size=1)
    assert [(part.number, part.etag) for part in listed] == sorted(etags.items())


@pytest.mark.django_db(transaction=True)
def test_batches_signed_concurrently_keep_every_checksum(user, settings):
    """Each batch merges its checksums into the row in one UPDATE; none drops another's."""
    settings.CHUTE_MAX_UPLOAD_SIZE = 200 * PART
    upload = start_upload(
        user, declarations.Declaration(name="big.bin", size=100 * PART, content_type="video/mp4")
    ).upload
    digest = b64sha(b"part")

    def sign_batch(index: int) -> object:
        numbers = range(10 * index + 1, 10 * index + 11)
        return multipart.sign_parts(
            Upload.objects.get(pk=upload.pk), [(n, digest) for n in numbers]
        )

    failed = [result for result in helpers.race(10, sign_batch) if isinstance(result, Exception)]
    assert failed == []
    upload.refresh_from_db()
    assert sorted(map(int, upload.part_checksums)) == list(range(1, 101))
    s3.abort_multipart(upload.key, upload_id=upload.multipart_upload_id)


# --- No part larger than planned; the latest copy of a part wins (issue 11) ---------------


@pytest.mark.django_db
def test_bucket_refuses_a_part_larger_or_smaller_than_its_planned_size(alice):
    data, _ = three_parts()
    issued = start(alice, len(data))
    oversize = os.urandom(PART + MiB)
    undersize = os.urandom(PART - MiB)
    for body in (oversize, undersize):
        # The attacker signs the checksum of their own body: only the length can stop it.
        signed = sign(alice, issued["id"], {1: body})
        assert signed.status_code == 200
        refused = put_part(signed.json()["urls"]["1"], body)
        assert refused.status_code in (400, 403), refused.status_code

    upload = Upload.objects.get(pk=issued["id"])
    assert all(
        part.size <= PART
        for part in s3.list_parts(upload.key, upload_id=upload.multipart_upload_id)
    )


@pytest.mark.django_db
def test_complete_uses_the_latest_copy_of_a_part_sent_twice(alice):
    # SeaweedFS lists a re-sent part number twice, in no fixed order: try a few times.
    for _ in range(3):
        data, parts = three_parts()
        issued = start(alice, len(data))
        send_parts(alice, issued["id"], {1: os.urandom(PART)})
        etags = send_parts(alice, issued["id"], parts)

        response = complete(alice, issued["id"], etags)

        assert response.status_code == 200, response.content
        upload = Upload.objects.get(pk=issued["id"])
        assert s3.get_bytes(upload.file.name) == data


@pytest.mark.django_db
def test_listing_parts_shows_each_number_once_with_its_latest_copy(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    send_parts(alice, issued["id"], {1: os.urandom(PART)})
    time.sleep(1.1)  # SeaweedFS's ListParts counts whole seconds
    etags = send_parts(alice, issued["id"], {1: parts[1]})

    listed = alice.get(f"/api/uploads/{issued['id']}/parts").json()["parts"]

    assert [(p["number"], p["etag"]) for p in listed] == [(1, etags[1])]


@pytest.mark.django_db
def test_a_part_sent_twice_within_a_second_is_listed_once_or_as_missing(alice):
    data, parts = three_parts()
    issued = start(alice, len(data))
    send_parts(alice, issued["id"], {1: os.urandom(PART)})
    etags = send_parts(alice, issued["id"], {1: parts[1]})

    listed = alice.get(f"/api/uploads/{issued['id']}/parts").json()["parts"]

    # Either copy could be the latest: the client is told to send it again, never the old one.
    assert [(p["number"], p["etag"]) for p in listed] in ([], [(1, etags[1])])


@pytest.mark.django_db
def test_a_whole_file_sha256_is_refused_for_multipart_uploads_it_cannot_be_checked_on(alice):
    body = {
        "name": "movie.mkv",
        "size": 2 * PART,
        "content_type": "video/x-matroska",
        "sha256": b64sha(b"anything"),
    }
    response = post_json(alice, "/api/uploads", body)

    assert response.status_code == 400
    assert "SHA-256" in response.json()["message"]
    assert not Upload.objects.exists()


@pytest.mark.django_db
def test_parts_sent_again_complete_with_the_etags_of_their_last_copies(alice):
    # SeaweedFS 4.48 lists both copies of a part sent twice, in no set order.
    data, parts = three_parts()
    issued = start(alice, len(data))
    send_parts(
        alice, issued["id"], {n: bytes([body[0] ^ 0xFF]) + body[1:] for n, body in parts.items()}
    )
    etags = send_parts(alice, issued["id"], parts)
    response = complete(alice, issued["id"], etags)
    assert response.status_code == 200, response.content
    assert s3.get_bytes(Upload.objects.get(pk=issued["id"]).key) == data
