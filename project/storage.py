"""Static-file storages whose manifest also rewrites ES module imports.

The uploader is native ES modules (static/files/uploader/ and the page scripts in
static/files/pages/) importing each other by relative path, across the two folders too.
Django's manifest storage hashes file names but, by default, leaves `import … from "./x.js"`
alone, so a hashed uploader.<hash>.js would load unhashed siblings: stale after a deploy under
far-future caching. Django 5.2 can rewrite those imports too (off by default).
"""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestFilesMixin
from storages.backends.s3 import S3ManifestStaticStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class ModuleImportsMixin(ManifestFilesMixin):
    support_js_module_import_aggregation = True
    # Only our own modules: Django's dynamic-import pattern also matches JSDoc type comments
    # such as `{import("../htmx").HtmxInternalApi}` in django-htmx's extensions, and then
    # collectstatic fails looking for a file named "django_htmx/htmx". The match is fnmatch's,
    # whose `*` also matches "/": this covers every folder under files/.
    _js_module_import_aggregation_patterns = (
        "files/*.js",
        ManifestFilesMixin._js_module_import_aggregation_patterns[1],  # type: ignore[attr-defined]
    )


class StaticStorage(ModuleImportsMixin, CompressedManifestStaticFilesStorage):
    """whitenoise's compressed manifest storage, with hashed module imports."""


class S3StaticStorage(ModuleImportsMixin, S3ManifestStaticStorage):
    """CHUTE_STATIC_ON_S3: django-storages' manifest storage, with hashed module imports."""
