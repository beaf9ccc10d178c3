"""Run the real udata application locally for integration tests.

This file is executed with the Python of udata's own virtualenv
(``.dev/udata/venv``), never with the project's one: udata pins versions that
conflict with ours. It is driven by ``scripts/udata-dev``.

udata normally needs MongoDB, Redis and Elasticsearch. Here:

* MongoDB is replaced by ``mongomock`` through mongoengine's
  ``mongo_client_class`` (mongoengine >= 0.27 refuses ``mongomock://`` URIs).
  The database lives in this process' memory only, so seeding happens here,
  right before serving, and everything is lost when the process stops.
* Celery tasks run eagerly (udata's ``Testing`` settings), so no broker.
* The cache is a ``NullCache``; search indexing, mails, metrics, the resource
  analyser and every other outbound integration are left unconfigured.

Sub-commands:

* ``serve``   create the app, seed it, write the env file, serve on HOST:PORT
* ``swagger`` dump udata's Swagger (OpenAPI 2) document without serving
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
from datetime import UTC, datetime

# Licences created at start-up. udata's `licenses` command downloads them from
# a URL that is not reachable here, so a fixed subset is created directly. The
# ids and titles are the ones data.gouv.fr uses.
LICENSES = [
    {
        "id": "lov2",
        "title": "Licence Ouverte / Open Licence version 2.0",
        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence",
        "maintainer": "Etalab",
        "flags": ["domain_content", "domain_data", "okd_compliant"],
        "alternate_titles": ["Licence Ouverte 2.0", "etalab-2.0"],
        "alternate_urls": [
            "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf"
        ],
    },
    {
        "id": "fr-lo",
        "title": "Licence Ouverte / Open Licence",
        "url": "https://www.etalab.gouv.fr/wp-content/uploads/2014/05/Licence_Ouverte.pdf",
        "maintainer": "Etalab",
        "flags": ["domain_content", "domain_data", "okd_compliant"],
    },
    {
        "id": "odc-odbl",
        "title": "Open Data Commons Open Database License (ODbL)",
        "url": "https://opendatacommons.org/licenses/odbl/summary/",
        "maintainer": "Open Data Commons",
        "flags": ["domain_data", "okd_compliant"],
    },
    {
        "id": "odc-by",
        "title": "Open Data Commons Attribution License",
        "url": "https://opendatacommons.org/licenses/by/summary/",
        "maintainer": "Open Data Commons",
        "flags": ["domain_data", "okd_compliant"],
    },
    {
        "id": "odc-pddl",
        "title": "Open Data Commons Public Domain Dedication and Licence (PDDL)",
        "url": "https://opendatacommons.org/licenses/pddl/summary/",
        "maintainer": "Open Data Commons",
        "flags": ["domain_data", "okd_compliant"],
    },
    {
        "id": "cc-by",
        "title": "Creative Commons Attribution",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "maintainer": "Creative Commons",
        "flags": ["domain_content", "okd_compliant"],
    },
    {
        "id": "cc-by-sa",
        "title": "Creative Commons Attribution Share-Alike",
        "url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "maintainer": "Creative Commons",
        "flags": ["domain_content", "okd_compliant"],
    },
    {
        "id": "cc-zero",
        "title": "Creative Commons CCZero",
        "url": "https://creativecommons.org/publicdomain/zero/1.0/",
        "maintainer": "Creative Commons",
        "flags": ["domain_content", "domain_data", "okd_compliant"],
    },
    {
        "id": "notspecified",
        "title": "License Not Specified",
        "url": None,
        "maintainer": None,
        "flags": ["generic"],
    },
    {
        "id": "other-at",
        "title": "Other (Attribution)",
        "url": None,
        "maintainer": None,
        "flags": ["generic"],
    },
    {
        "id": "other-open",
        "title": "Other (Open)",
        "url": None,
        "maintainer": None,
        "flags": ["generic"],
    },
]

ADMIN_EMAIL = "admin@udata.local"
ADMIN_PASSWORD = "Udata-dev-Passw0rd"
ORG_NAME = "opendata dev organisation"

log = logging.getLogger("udata-dev")


def make_config(base_dir: str, host: str, port: int):
    """Settings applied on top of udata's Defaults (``create_app(override=...)``)."""
    import mongomock
    from udata.settings import Testing

    fs_root = os.path.join(base_dir, "fs")

    class DevConfig(Testing):
        # ---- storage backends -------------------------------------------------
        # In-memory MongoDB. MONGODB_HOST is still validated by udata, so keep a
        # well-formed URL there; MONGODB_SETTINGS takes precedence for the
        # actual connection (udata/flask_mongoengine/connection.py).
        MONGODB_HOST = "mongodb://localhost:27017/udata"
        MONGODB_SETTINGS = {
            "host": "mongodb://localhost:27017/udata",
            "mongo_client_class": mongomock.MongoClient,
            "tz_aware": False,
        }
        CACHE_TYPE = "flask_caching.backends.NullCache"
        CELERY_BROKER_URL = "memory://"
        CELERY_RESULT_BACKEND = "cache+memory://"
        CELERY_TASK_ALWAYS_EAGER = True
        # A failing side task (mail, notification...) must not turn an API
        # call into a 500: it is logged instead.
        CELERY_TASK_EAGER_PROPAGATES = False

        # ---- files --------------------------------------------------------------
        FS_ROOT = fs_root
        FS_SERVE = True
        FS_PREFIX = "/s"

        # ---- HTTP -----------------------------------------------------------------
        SERVER_NAME = f"{host}:{port}"
        PREFERRED_URL_SCHEME = "http"
        SESSION_COOKIE_SECURE = False
        DEBUG = False
        TESTING = True
        PROPAGATE_EXCEPTIONS = False
        SECRET_KEY = "udata-dev-secret-key"
        API_TOKEN_SECRET = "udata-dev-api-token-secret"
        SITE_TITLE = "udata (opendata local dev)"
        DEFAULT_LANGUAGE = "fr"
        # Let datasets point at local test servers / unresolvable hosts: there is
        # no DNS here.
        URLS_ALLOW_LOCAL = True
        URLS_ALLOW_PRIVATE = True
        URLS_RESOLVE_HOSTNAME = False

        # ---- everything that would talk to another service ------------------------
        SEND_MAIL = False
        AUTO_INDEX = False
        ELASTICSEARCH_URL = None
        SEARCH_SERVICE_API_URL = None
        METRICS_API = None
        PUBLISH_ON_RESOURCE_EVENTS = False
        RESOURCES_ANALYSER_API_KEY = None
        SCHEMA_CATALOG_URL = None
        # Only used to build the `page` links of objects (as on data.gouv.fr,
        # where they point at the front-end). There is no front-end here: those
        # links answer 404, but they are non-null like in production.
        CDATA_BASE_URL = f"http://{host}:{port}"
        SENTRY_DSN = None
        TCHAP_HOMESERVER = None
        DOI_PREFIX = None
        CAPTCHETAT_BASE_URL = None
        GEOPF_OAUTH_CLIENT_ID = None
        TRANSPORT_DATASETS_URL = None
        HARVEST_ACTIVITY_USER_ID = None
        FS_IMAGES_OPTIMIZE = False
        SECURITY_TWO_FACTOR = False

    return DevConfig


def create(base_dir: str, host: str, port: int):
    # udata loads `./udata.cfg` or $UDATA_SETTINGS when present: make sure no
    # stray settings file changes this setup.
    os.environ.pop("UDATA_SETTINGS", None)
    os.chdir(base_dir)

    from udata.app import create_app, standalone

    app = create_app(override=make_config(base_dir, host, port))
    standalone(app)
    return app


def seed(app) -> dict:
    from flask_security.utils import hash_password
    from udata.core.api_token.models import ApiToken
    from udata.models import License, Member, Organization, datastore

    with app.app_context():
        for spec in LICENSES:
            if License.objects(id=spec["id"]).first() is None:
                License.objects.create(
                    id=spec["id"],
                    title=spec["title"],
                    url=spec.get("url"),
                    maintainer=spec.get("maintainer"),
                    flags=spec.get("flags", []),
                    alternate_titles=spec.get("alternate_titles", []),
                    alternate_urls=spec.get("alternate_urls", []),
                    active=True,
                )

        user = datastore.find_user(email=ADMIN_EMAIL)
        if user is None:
            user = datastore.create_user(
                first_name="Admin",
                last_name="Dev",
                email=ADMIN_EMAIL,
                password=hash_password(ADMIN_PASSWORD),
                confirmed_at=datetime.now(UTC),
                active=True,
            )
            datastore.add_role_to_user(user, datastore.find_or_create_role("admin"))
            user.save()

        org = Organization.objects(name=ORG_NAME).first()
        if org is None:
            org = Organization.objects.create(
                name=ORG_NAME,
                acronym="ODDEV",
                description="Organisation created by scripts/udata-dev for integration tests.",
                url="https://example.org/opendata",
                members=[Member(user=user, role="admin")],
            )

        _token, plaintext = ApiToken.generate(user, name="udata-dev")

        return {
            "UDATA_URL": app.config["UDATA_DEV_URL"],
            "UDATA_API_KEY": plaintext,
            "UDATA_ORG_ID": str(org.id),
            "UDATA_ORG_SLUG": org.slug,
            "UDATA_USER_ID": str(user.id),
            "UDATA_USER_EMAIL": ADMIN_EMAIL,
            "UDATA_USER_PASSWORD": ADMIN_PASSWORD,
        }


def write_env(path: str, values: dict) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".env.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            for key, value in values.items():
                fh.write(f"{key}={value}\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class SerializedApp:
    """WSGI middleware running one request at a time through the app.

    mongomock is not thread-safe; the HTTP server stays threaded (so slow
    clients or keep-alive connections do not block everybody) but the
    application itself is entered by one thread at a time. Response bodies
    (files served from FS_ROOT) are streamed outside the lock.
    """

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return self.app(environ, start_response)


def cmd_serve(args) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
        stream=sys.stdout,
    )
    base_dir = os.path.abspath(args.base_dir)
    args.env_file = os.path.abspath(args.env_file)
    os.makedirs(os.path.join(base_dir, "fs"), exist_ok=True)
    if os.path.exists(args.env_file):
        os.unlink(args.env_file)

    url = f"http://{args.host}:{args.port}"
    log.info("creating udata app (base dir %s)", base_dir)
    app = create(base_dir, args.host, args.port)
    app.config["UDATA_DEV_URL"] = url
    from importlib.metadata import version

    log.info("udata %s app created, seeding the in-memory database", version("udata"))
    values = seed(app)
    log.info("seeded: organization %s (%s), user %s", values["UDATA_ORG_ID"],
             values["UDATA_ORG_SLUG"], values["UDATA_USER_EMAIL"])

    import werkzeug.serving
    from werkzeug.serving import make_server

    # No ANSI colours in the request log: it goes to a file.
    if hasattr(werkzeug.serving, "_log_add_style"):
        werkzeug.serving._log_add_style = False

    # Bind before publishing the env file: a client reading it can connect.
    server = make_server(args.host, args.port, SerializedApp(app), threaded=True)
    write_env(args.env_file, values)
    log.info("env written to %s; serving udata on %s", args.env_file, url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_swagger(args) -> int:
    """Same documents as `udata api swagger` and /api/{1,2}/swagger.json."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    base_dir = os.path.abspath(args.base_dir)
    out = os.path.abspath(args.out)
    out_v2 = os.path.abspath(args.out_v2)
    app = create(base_dir, args.host, args.port)
    from udata.api import api, apiv2

    for target, prefix, doc in ((out, "/api/1", api), (out_v2, "/api/2", apiv2)):
        with app.test_request_context(f"{prefix}/swagger.json", base_url=app.config["CDATA_BASE_URL"]):
            schema = json.loads(json.dumps(doc.__schema__, default=str))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(schema, fh, indent=2, sort_keys=True)
        print(target)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-dir", required=True, help="runtime directory (.dev/udata)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=7000)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--env-file", required=True)
    swagger = sub.add_parser("swagger")
    swagger.add_argument("out", help="API v1 document")
    swagger.add_argument("out_v2", help="API v2 document")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return cmd_serve(args)
    return cmd_swagger(args)


if __name__ == "__main__":
    sys.exit(main())
