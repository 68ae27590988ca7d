"""The owner's list in real Chromium: files of one name told apart, an unfinished upload's
Resume button, and the several-file dialog once its link is made."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect

from files.models import Upload
from files.uploads import declarations
from files.uploads.start import start_upload
from tests.helpers import ready_file

MiB = 1024 * 1024


def test_files_of_the_same_name_show_the_seconds_of_their_upload(signed_in_page: Page, user):
    first = ready_file(user, b"a", name="hello.txt")
    second = ready_file(user, b"b", name="hello.txt")
    other = ready_file(user, b"c", name="unique.txt")
    base = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=5)
    Upload.objects.filter(pk=first.pk).update(confirmed_at=base + timedelta(seconds=7))
    Upload.objects.filter(pk=second.pk).update(confirmed_at=base + timedelta(seconds=42))
    Upload.objects.filter(pk=other.pk).update(confirmed_at=base)
    page = signed_in_page
    page.goto("/")
    seconds = page.locator("#file-rows tr", has_text="hello.txt").locator(".seconds:visible")
    expect(seconds).to_have_text([":42", ":07"])
    # A name of its own stays as calm as before: minutes only.
    expect(
        page.locator("#file-rows tr", has_text="unique.txt").locator(".seconds:visible")
    ).to_have_count(0)


def test_an_unfinished_uploads_resume_button_opens_the_chooser(
    signed_in_page: Page, user, settings
):
    settings.CHUTE_MULTIPART_THRESHOLD = 5 * MiB
    settings.CHUTE_PART_SIZE = 5 * MiB
    start_upload(
        user,
        declarations.Declaration(name="film.mov", size=12 * MiB, content_type="video/quicktime"),
    )
    page = signed_in_page
    page.goto("/")
    resume = page.get_by_role("button", name="Resume film.mov")
    expect(resume).to_be_visible()
    with page.expect_file_chooser() as chooser:
        resume.click()
    assert chooser.value.is_multiple()


def test_the_several_file_dialog_shows_its_link_and_files_not_the_form_again(
    signed_in_page: Page, user
):
    ready_file(user, b"a" * 10, name="one.txt")
    ready_file(user, b"b" * 20, name="two.txt")
    page = signed_in_page
    page.goto("/")
    for name in ("one.txt", "two.txt"):
        page.get_by_role("checkbox", name=f"Select {name}").check()
    page.get_by_role("button", name="Share selected").click()
    dialog = page.locator("dialog[data-share-dialog]")
    dialog.get_by_role("button", name="Create link").click()
    expect(dialog.locator("[data-share-url]")).to_be_focused()
    expect(dialog.get_by_role("button", name="Create link")).to_have_count(0)
    expect(dialog.get_by_role("listitem")).to_have_count(2)
    expect(dialog.get_by_role("list")).to_contain_text("one.txt 10 bytes")
    expect(dialog.get_by_role("list")).to_contain_text("two.txt 20 bytes")
    expect(dialog.get_by_role("button", name="Copy")).to_be_visible()
