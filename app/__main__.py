"""Command line: python -m app <command>."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys


def _migrate(_: argparse.Namespace) -> int:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from app.config import get_settings
    from app.db import current_engine, prepare_sqlite

    settings = get_settings()
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)

    async def migrate() -> bool:
        result = await run_forwards(app_name="fieldpost")
        await prepare_sqlite(current_engine())
        if not result.success:
            print(result.message, file=sys.stderr)
        return result.success

    return 0 if asyncio.run(migrate()) else 1


def _demo_data(_: argparse.Namespace) -> int:
    from app.demo import DEMO_LOGINS, load_demo_data

    loaded = asyncio.run(load_demo_data())
    print("Demo data loaded." if loaded else "Demo data already present; nothing changed.")
    print("Demo sign-ins (phone / password or PIN):")
    for role, phone, secret in DEMO_LOGINS:
        print(f"  {role:<10} {phone}  {secret}")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from app.accounts.services import create_user
    from app.accounts.tables import Role
    from app.errors import ValidationFailed

    password = args.password or getpass.getpass("Password (at least 8 characters): ")
    try:
        user = asyncio.run(
            create_user(name=args.name, phone=args.phone, role=Role.admin, secret=password)
        )
    except ValidationFailed as problem:
        for field, (message, params) in problem.errors.items():
            print(f"{field}: {message % params if params else message}", file=sys.stderr)
        return 2
    print(f"Admin {user.name} ({user.phone}) created.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    print(f"Fieldpost is serving at http://{host}:{port}/", flush=True)
    uvicorn.run(
        "app.asgi:app", host=host, port=port, proxy_headers=True,
        log_level=settings.log_level.lower(), timeout_graceful_shutdown=5,
    )
    return 0


def _jobs(args: argparse.Namespace) -> int:
    from app import housekeeping  # noqa: F401  (registers the jobs)
    from app.config import get_settings
    from app.jobs import JOBS, LastRuns, run_due, run_job

    last_runs = LastRuns(get_settings().data_dir / "jobs.json")
    if args.action == "list":
        runs = last_runs.read()
        for job in JOBS.values():
            print(f"{job.name:<28} every {job.every_s:>6}s  last run {runs.get(job.name, 'never')}")
        return 0
    if args.action == "run-due":
        print("ran:", ", ".join(asyncio.run(run_due(last_runs))) or "nothing due")
        return 0
    if args.name not in JOBS:
        print(f"unknown job {args.name!r}; known: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    return 0 if asyncio.run(run_job(JOBS[args.name], last_runs)) else 1


def _ledger(args: argparse.Namespace) -> int:
    """Walk every site's attendance chain; name the first broken link of each."""
    from app.checkin.ledger import verify

    broken = asyncio.run(verify(args.site))
    for link in broken:
        print(f"BROKEN {link}")
    if not broken:
        print("ledger verified: every chain holds" + (f" (site {args.site})" if args.site else ""))
    return 1 if broken else 0


def _photos(_: argparse.Namespace) -> int:
    """Remove stored photo files no photo needs any more."""
    from app.photos.services import cleanup

    removed = asyncio.run(cleanup())
    print(f"photo files removed: {removed}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description="Fieldpost")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("demo-data", help="load demo data once").set_defaults(run=_demo_data)
    admin = commands.add_parser("create-admin", help="create an administrator")
    admin.add_argument("--name", required=True)
    admin.add_argument("--phone", required=True)
    admin.add_argument("--password", help="asked for when left out")
    admin.set_defaults(run=_create_admin)
    serve = commands.add_parser("serve", help="serve the web app with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=_serve)
    jobs = commands.add_parser("jobs", help="recurring jobs: list, run-due, run NAME")
    jobs.add_argument("action", choices=["list", "run-due", "run"])
    jobs.add_argument("name", nargs="?")
    jobs.set_defaults(run=_jobs)
    ledger = commands.add_parser("ledger", help="attendance ledger: verify the hash chains")
    ledger.add_argument("action", choices=["verify"])
    ledger.add_argument("--site", type=int, help="only this site")
    ledger.set_defaults(run=_ledger)
    photos = commands.add_parser("photos", help="photo files: cleanup removes those no photo needs")
    photos.add_argument("action", choices=["cleanup"])
    photos.set_defaults(run=_photos)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
