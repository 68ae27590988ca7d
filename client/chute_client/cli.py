"""`chute`: upload, list, fetch, share and delete files on a Chute server from a terminal.

stdout carries one machine-readable line per file (tab-separated); progress goes to stderr
when it is a terminal; a failure prints one sentence on stderr and exits with status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from chute_client import __version__
from chute_client.api import Api, ChuteError, check_id
from chute_client.download import download
from chute_client.links import PASSWORD_VARIABLE, get_link, is_link
from chute_client.progress import RateLimit
from chute_client.sealed import upload_batch
from chute_client.units import format_size, parse_duration, parse_size
from chute_client.upload import Uploaded, Uploader


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake as one sentence and exit status 1."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"{message[:1].upper()}{message[1:]} (see {self.prog} --help).\n")


def duration(text: str) -> int:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def rate(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


DEFAULT_EXPIRY = 7 * 24 * 3600  # the web dialog's default


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"“{text}” is not a whole number of at least 1")
    return int(text)


def build_parser() -> Parser:
    connection = Parser(add_help=False)
    connection.add_argument(
        "--url", default=argparse.SUPPRESS, help="Chute's address (default: $CHUTE_URL)"
    )
    connection.add_argument(
        "--token",
        default=argparse.SUPPRESS,
        help="an API token (default: $CHUTE_TOKEN, which other users cannot see in ps)",
    )
    parser = Parser(prog="chute", description=__doc__, parents=[connection])
    parser.add_argument("--version", action="version", version=f"chute {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=help, parents=[connection])

    upload = command("upload", "Upload files; prints <id>TAB<name> (TAB<share url>) for each.")
    upload.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    upload.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt here with one new key and make one link for all PATHs (default --share "
        "7d); the key is only in the printed link, after #",
    )
    upload.add_argument("--share", type=duration, metavar="DURATION", help="e.g. 30m, 12h, 7d")
    upload.add_argument("--max-downloads", type=positive, metavar="N")
    upload.add_argument("--message", metavar="TEXT", help="with --share: shown on the link's page")
    upload.add_argument(
        "--limit-rate", type=rate, metavar="RATE", help="at most RATE bytes a second, e.g. 20M"
    )
    upload.add_argument(
        "-v", "--verbose", action="store_true", help="say on stderr what was sent and resumed"
    )

    ls = command(
        "ls",
        "List your files: <id>TAB<size>TAB<name>, newest first. On a terminal (or with "
        "--human): <id>TAB<readable size>TAB<date>TAB<name>.",
    )
    ls.add_argument("--human", action="store_true", help="readable sizes and dates even when piped")

    get = command(
        "get",
        "Download a file by id, checking its size and SHA-256; or every file of a share link "
        "(in quotes; no token needed), decrypting an encrypted link's files with its #key. "
        f"A link's password is asked for, or read from ${PASSWORD_VARIABLE}.",
    )
    get.add_argument("id", metavar="ID|LINK")
    get.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="where to write it (- for stdout); for a link: a folder (default: here) or, for one "
        "file, its path. Existing files are never overwritten",
    )

    share = command("share", "Make one share link for one or several files; prints its URL.")
    share.add_argument("ids", nargs="+", metavar="ID")
    share.add_argument(
        "--expires",
        type=duration,
        default=DEFAULT_EXPIRY,
        metavar="DURATION",
        help="e.g. 30m, 12h, 7d (default: 7d)",
    )
    share.add_argument(
        "--max-downloads", type=positive, metavar="N", help="downloads allowed (of each file)"
    )
    share.add_argument("--message", metavar="TEXT", help="shown on the link's page")

    command(
        "links",
        "List your share links: <id>TAB<state>TAB<expires>TAB<url>TAB<names>, newest first.",
    )

    rm = command("rm", "Delete a file (its share links stop working).")
    rm.add_argument("id", metavar="ID")
    return parser


def connect(args: argparse.Namespace) -> Api:
    url = getattr(args, "url", None) or os.environ.get("CHUTE_URL", "")
    token = getattr(args, "token", None) or os.environ.get("CHUTE_TOKEN", "")
    if not url:
        raise ChuteError("Set CHUTE_URL (or pass --url) to your Chute's address.")
    if not token:
        raise ChuteError(
            "Set CHUTE_TOKEN (or pass --token) to a token from Chute's API tokens page."
        )
    return Api(url, token)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def share_url(
    api: Api, file_id: str, expires_in: int, max_downloads: int | None, message: str | None
) -> str:
    body: dict[str, int | str] = {"expires_in": expires_in}
    if max_downloads:
        body["max_downloads"] = max_downloads
    if message:
        body["message"] = message
    return str(api.post(f"api/files/{file_id}/shares", body)["url"])


def run_upload(api: Api, args: argparse.Namespace) -> None:
    for path in args.paths:
        if not path.is_file():
            raise ChuteError(f"{path} is not a file that can be read.")
    if (args.max_downloads or args.message) and not (args.share or args.encrypt):
        raise ChuteError("--max-downloads and --message need --share DURATION.")
    uploader = Uploader(
        api,
        rate_limit=RateLimit(args.limit_rate) if args.limit_rate else None,
        report=say if args.verbose else lambda line: None,
    )

    def sent(done: Uploaded) -> None:
        if args.verbose:
            speed = done.bytes_sent / done.seconds if done.seconds else 0
            say(
                f"{done.name}: sent {done.parts_sent} of {done.parts_total} parts, "
                f"{format_size(done.bytes_sent)} in {done.seconds:.1f} s "
                f"({format_size(speed)}/s)"
            )

    if args.encrypt:
        share: dict[str, Any] = {"expires_in": args.share or DEFAULT_EXPIRY}
        if args.max_downloads:
            share["max_downloads"] = args.max_downloads
        if args.message:
            share["message"] = args.message

        def make_link(ids: list[str]) -> str:
            if len(ids) == 1:
                return str(api.post(f"api/files/{ids[0]}/shares", share)["url"])
            return str(api.post("api/shares", {"files": ids, **share})["url"])

        files, link = upload_batch(api, uploader, list(args.paths), make_link, sent)
        for file_id, name in files:  # one link for the batch: the same on every line
            print(f"{file_id}\t{name}\t{link}", flush=True)
        return
    for path in args.paths:
        done = uploader.upload(path)
        sent(done)
        fields = [done.id, done.name]
        if args.share:
            fields.append(share_url(api, done.id, args.share, args.max_downloads, args.message))
        print("\t".join(fields), flush=True)


def pages(api: Api, path: str, key: str) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list, following its `next` cursors."""
    cursor = None
    while True:
        page = api.get(path, cursor=cursor) if cursor else api.get(path)
        yield from page[key]
        cursor = page.get("next")
        if not cursor:
            break


def when(iso: str | None) -> str:
    """`2026-12-04 17:34` in local time, from the API's ISO 8601 (UTC) times."""
    if not iso:
        return "-"
    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")


def run_ls(api: Api, human: bool) -> None:
    for file in pages(api, "api/files", "files"):
        if human:
            size, date = format_size(file["size"]), when(file["confirmed_at"])
            print(f"{file['id']}\t{size}\t{date}\t{file['name']}")
        else:
            print(f"{file['id']}\t{file['size']}\t{file['name']}")


def run_share(api: Api, args: argparse.Namespace) -> str:
    ids = [check_id(file_id) for file_id in args.ids]
    body: dict[str, Any] = {"expires_in": args.expires}
    if args.max_downloads:
        body["max_downloads"] = args.max_downloads
    if args.message:
        body["message"] = args.message
    if len(ids) == 1:
        return str(api.post(f"api/files/{ids[0]}/shares", body)["url"])
    return str(api.post("api/shares", {"files": ids, **body})["url"])


def run_links(api: Api) -> None:
    for link in pages(api, "api/shares", "shares"):
        names = ", ".join(file["name"] for file in link["files"]) or "-"
        fields = [link["id"], link["state"], when(link["expires_at"]), link["url"] or "-", names]
        print("\t".join(fields))


def run(args: argparse.Namespace) -> None:
    if args.command == "get" and is_link(args.id):
        for path in get_link(args.id, args.output):  # a recipient: no Chute account needed
            print(path, flush=True)
        return
    api = connect(args)
    try:
        if args.command == "upload":
            run_upload(api, args)
        elif args.command == "ls":
            run_ls(api, args.human or sys.stdout.isatty())
        elif args.command == "get":
            download(api, args.id, args.output)
        elif args.command == "share":
            print(run_share(api, args))
        elif args.command == "links":
            run_links(api)
        elif args.command == "rm":
            api.delete(f"api/uploads/{check_id(args.id)}")
    finally:
        api.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        run(args)
    except ChuteError as exc:
        say(str(exc))
        return 1
    except KeyboardInterrupt:
        say("Interrupted; run the same command again to resume an upload.")
        return 1
    except BrokenPipeError:
        return 1
    except Exception as exc:
        # Tracebacks only on request: they are for developers (and show no token or URL).
        if os.environ.get("CHUTE_DEBUG"):
            traceback.print_exc()
        say(f"chute failed unexpectedly ({type(exc).__name__}); CHUTE_DEBUG=1 shows details.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
